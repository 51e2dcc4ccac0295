package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// userAgent names the dialler in User-Agent and the SDP o= line.
const userAgent = "callroute-dial"

// call is one Dial: its SIP user agent and socket, its RTP session and its
// receiver. Dial's goroutine owns it; the SIP handlers (other goroutines)
// touch only remoteBye, the session (safe for concurrent use) and local
// under sdpMu.
type call struct {
	o   *checked
	log *slog.Logger
	rep *Report

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	udp    net.PacketConn // the SIP socket: one of udp and tcp
	tcp    net.Listener
	served chan struct{} // closed when the serve goroutine has returned
	ip     netip.Addr    // announced in Via, Contact and SDP
	port   int           // the SIP socket's port
	laddr  sip.Addr      // UDP: requests leave from the SIP socket

	ports *media.PortAllocator
	sess  *media.Session
	ears  *ears
	sdpMu sync.Mutex
	local *media.LocalSDP

	callID, fromTag string       // fixed before the server starts
	invite          *sip.Request // the INVITE sent last (Dial's goroutine only)
	tx              sip.ClientTransaction
	early           bool // an early SDP answer was applied

	answered  chan struct{} // closed as the 200 is ACKed (re-INVITEs wait)
	byeOnce   sync.Once
	remoteBye chan struct{} // closed when the far side sends BYE

	closeOnce sync.Once
	recErr    error // set by close
}

// open binds the SIP socket and the RTP port and starts serving SIP and
// receiving RTP. close undoes it.
func open(o *checked) (_ *call, err error) {
	c := &call{
		o: o, log: o.Logger, rep: &Report{},
		served: make(chan struct{}), answered: make(chan struct{}), remoteBye: make(chan struct{}),
		callID: sip.GenerateTagN(24) + "@" + userAgent, fromTag: sip.GenerateTagN(16),
	}
	c.rep.CallID = c.callID
	c.log = c.log.With("call_id", c.callID)
	bind, err := netip.ParseAddr(o.bindHost)
	if err != nil {
		return nil, fmt.Errorf("%w: local address %q", ErrBadOptions, o.LocalAddr)
	}
	bind = bind.Unmap()
	c.ip = bind
	if bind.IsUnspecified() {
		if c.ip, err = routeIP(o.to); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if err := c.listen(); err != nil {
		close(c.served)
		return nil, err
	}
	if err := c.startSIP(); err != nil {
		close(c.served)
		return nil, err
	}
	if c.ports, err = media.NewPortAllocator(bind, o.rtpMin, o.rtpMax, media.WithDrainTime(0)); err != nil {
		return nil, fmt.Errorf("RTP ports: %w", err)
	}
	c.sess, err = media.NewSession(c.ports, media.WithAnnouncedAddr(c.ip), media.WithLogger(c.log),
		media.WithMediaTimeouts(0, 0))
	if err != nil {
		return nil, fmt.Errorf("RTP port: %w", err)
	}
	c.local = media.NewLocalSDP(c.ip, c.sess.LocalPort())
	c.local.Username = userAgent
	if c.ears, err = listen(c.sess, o.Record, o.RingTimeout+o.Duration); err != nil {
		return nil, err
	}
	return c, nil
}

// listen binds the SIP socket.
func (c *call) listen() error {
	addr := net.JoinHostPort(c.o.bindHost, strconv.Itoa(c.o.bindPort))
	var local net.Addr
	if c.o.transport == "TCP" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("SIP socket: %w", err)
		}
		c.tcp, local = l, l.Addr()
	} else {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("SIP socket: %w", err)
		}
		c.udp, local = pc, pc.LocalAddr()
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return fmt.Errorf("SIP socket: %w", err)
	}
	c.port = int(ap.Port())
	c.laddr = sip.Addr{IP: net.IP(ap.Addr().AsSlice()), Port: c.port}
	return nil
}

// startSIP makes the user agent, its server (BYE, re-INVITE, OPTIONS) and
// client, and serves the SIP socket on a goroutine that close ends.
func (c *call) startSIP() error {
	var err error
	c.ua, err = sipgo.NewUA(sipgo.WithUserAgent(userAgent),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(c.log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(c.log),
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				c.log.Debug("stray response", "status", r.StatusCode, "reason", r.Reason)
			})))
	if err != nil {
		return err
	}
	if c.srv, err = sipgo.NewServer(c.ua, sipgo.WithServerLogger(c.log)); err != nil {
		return err
	}
	c.cli, err = sipgo.NewClient(c.ua, sipgo.WithClientLogger(c.log),
		sipgo.WithClientHostname(c.host()), sipgo.WithClientPort(c.port))
	if err != nil {
		return err
	}
	c.handle()
	go func() {
		defer close(c.served)
		var err error
		if c.tcp != nil {
			err = c.srv.ServeTCP(c.tcp)
		} else {
			err = c.srv.ServeUDP(c.udp)
		}
		if err != nil && !errors.Is(err, net.ErrClosed) {
			c.log.Debug("SIP socket closed", "err", err)
		}
	}()
	if c.udp == nil {
		return nil
	}
	// Requests leave from the SIP socket (Laddr) only once the transport
	// layer has it: wait for the serve goroutine to hand it over.
	tl, addr := c.ua.TransportLayer(), c.udp.LocalAddr().String()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := tl.GetConnection("udp", addr); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("SIP socket: the transport did not take it")
		}
	}
}

// close ends everything open started, in order: the INVITE transaction,
// the RTP session and its receiver (which closes the recording), the
// ports, the SIP stack and its socket. It is safe to call more than once.
func (c *call) close() {
	c.closeOnce.Do(func() {
		if c.tx != nil {
			c.tx.Terminate()
		}
		if c.sess != nil {
			_ = c.sess.Close()
		}
		if c.ears != nil {
			c.recErr = c.ears.wait()
		}
		if c.ports != nil {
			_ = c.ports.Close()
		}
		if c.ua != nil {
			_ = c.ua.Close()
		}
		if c.udp != nil {
			_ = c.udp.Close()
		}
		if c.tcp != nil {
			_ = c.tcp.Close()
		}
		<-c.served
	})
}

// host is our address as a SIP URI host (RFC 3261 25.1: IPv6 in brackets).
func (c *call) host() string {
	if c.ip.Is6() {
		return "[" + c.ip.String() + "]"
	}
	return c.ip.String()
}

// routeIP is the local address the system would send to the URI's host
// from, for a socket bound to an unspecified address.
func routeIP(to sip.Uri) (netip.Addr, error) {
	port := to.Port
	if port == 0 {
		port = 5060
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "udp", net.JoinHostPort(to.Host, strconv.Itoa(port)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("find the local address towards %s: %w", to.Host, err)
	}
	defer conn.Close()
	ap, err := netip.ParseAddrPort(conn.LocalAddr().String())
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}
