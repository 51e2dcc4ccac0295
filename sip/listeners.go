package sip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/emiago/sipgo"
)

// listeners are the sockets we open ourselves and hand to sipgo
// (srv.ServeUDP / ServeTCP / ServeTLS), so the bound address and the
// announced one stay apart and tests can bind port 0 (sip-webrtc.md 1).
type listeners struct {
	udp net.PacketConn
	tcp net.Listener
	tls net.Listener
}

// udpReadBuffer is the receive buffer asked for the SIP UDP socket: about
// 8,000 requests of 500 bytes.
const udpReadBuffer = 4 << 20

func openListeners(cfg Config) (_ *listeners, err error) {
	ls := &listeners{}
	defer func() {
		if err != nil {
			ls.close()
		}
	}()
	if cfg.UDPListen != "" {
		if ls.udp, err = net.ListenPacket("udp", cfg.UDPListen); err != nil {
			return nil, fmt.Errorf("sip: UDPListen %s: %w", cfg.UDPListen, err)
		}
		if uc, ok := ls.udp.(*net.UDPConn); ok {
			// One goroutine reads the socket; a burst of requests (or a
			// pause of that reader) beyond the buffer is dropped by the
			// kernel, and an ACK or a BYE is not always retransmitted.
			// The kernel caps the size at net.core.rmem_max.
			_ = uc.SetReadBuffer(udpReadBuffer)
		}
	}
	if cfg.TCPListen != "" {
		if ls.tcp, err = net.Listen("tcp", cfg.TCPListen); err != nil {
			return nil, fmt.Errorf("sip: TCPListen %s: %w", cfg.TCPListen, err)
		}
	}
	if cfg.TLSListen != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("sip: TLSCertFile/TLSKeyFile: %w", err)
		}
		inner, err := net.Listen("tcp", cfg.TLSListen)
		if err != nil {
			return nil, fmt.Errorf("sip: TLSListen %s: %w", cfg.TLSListen, err)
		}
		ls.tls = tls.NewListener(inner, &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12, // security.md: TLS >= 1.2
		})
	}
	return ls, nil
}

// serveFuncs returns one blocking serve function per open listener.
func (ls *listeners) serveFuncs(srv *sipgo.Server) []func() error {
	var fs []func() error
	if ls.udp != nil {
		fs = append(fs, func() error { return ignoreClosed(srv.ServeUDP(ls.udp)) })
	}
	if ls.tcp != nil {
		fs = append(fs, func() error { return ignoreClosed(srv.ServeTCP(ls.tcp)) })
	}
	if ls.tls != nil {
		fs = append(fs, func() error { return ignoreClosed(srv.ServeTLS(ls.tls)) })
	}
	return fs
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (ls *listeners) close() {
	if ls.udp != nil {
		ls.udp.Close()
	}
	if ls.tcp != nil {
		ls.tcp.Close()
	}
	if ls.tls != nil {
		ls.tls.Close()
	}
}

// addrs reports the bound addresses and the announced host and port (the
// first bound port when announcePort is 0).
func (ls *listeners) addrs(announceHost string, announcePort int) Addrs {
	a := Addrs{AnnounceHost: announceHost, AnnouncePort: announcePort}
	if ls.udp != nil {
		a.UDP = addrPortOf(ls.udp.LocalAddr())
	}
	if ls.tcp != nil {
		a.TCP = addrPortOf(ls.tcp.Addr())
	}
	if ls.tls != nil {
		a.TLS = addrPortOf(ls.tls.Addr())
	}
	if a.AnnouncePort == 0 {
		for _, p := range []netip.AddrPort{a.UDP, a.TCP, a.TLS} {
			if p.IsValid() {
				a.AnnouncePort = int(p.Port())
				break
			}
		}
	}
	return a
}

func addrPortOf(a net.Addr) netip.AddrPort {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
