//go:build linux

package webrtc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media"
)

// The capacity benchmark: how many browser legs one node carries with no
// audio gaps. Each leg is the whole path of a softphone call:
//
//	far end                         node (this test process)                 far end
//	pion browser <-SRTP/ICE mux-> Leg <-> media.Bridge <-> media.Session <-RTP-> phone
//
// The browsers (pion PeerConnections, one UDP socket each) and the phones
// (media.Sessions) run in a second process, this test binary started again
// with CALLROUTE_BENCH_WEBRTC_FAREND=1, so the node's CPU is measured alone
// (getrusage of each process over the hold). Both directions carry 50
// packets/s of 20 ms PCMU; the far end times every arrival.
//
// A level passes when, over the hold, no packet is lost end to end (sent by
// one far end, never received by the other) and no inter-arrival gap
// exceeds 60 ms on any stream.
//
//	CALLROUTE_BENCH_WEBRTC_LEGS=50,100,200 [CALLROUTE_BENCH_WEBRTC_HOLD=20s] \
//	    go test ./media/webrtc/ -run TestCapacityBrowserLegs -v -timeout 60m

const (
	envLegs   = "CALLROUTE_BENCH_WEBRTC_LEGS"
	envHold   = "CALLROUTE_BENCH_WEBRTC_HOLD"
	envFarEnd = "CALLROUTE_BENCH_WEBRTC_FAREND"
	// envFarEndCPUs pins the far end to CPUs (taskset -c), to keep it off
	// the node's when the node runs under taskset itself.
	envFarEndCPUs = "CALLROUTE_BENCH_WEBRTC_FAREND_CPUS"

	benchWarmup     = 2 * time.Second
	benchMaxGap     = 60 * time.Millisecond
	benchSetupPar   = 8 // legs set up at once
	benchNodePorts  = 43000
	benchPhonePorts = 45000
	benchPortSpan   = 1999
)

// benchMsg is one line between the node and the far end.
type benchMsg struct {
	Op     string     `json:"op"`
	I      int        `json:"i,omitempty"`
	SDP    string     `json:"sdp,omitempty"`
	Addr   string     `json:"addr,omitempty"`
	Err    string     `json:"err,omitempty"`
	Result *farResult `json:"result,omitempty"`
}

// direction sums the streams of one direction at the far end.
type direction struct {
	Sent, Received int
	MaxGapMs       float64 // the longest inter-arrival gap of any stream in the hold
	Over60         int     // gaps over 60 ms, all streams
	StreamsOver60  int
}

// farResult is what the far end measured.
type farResult struct {
	CPUSeconds   float64   // far-end process CPU over the hold
	SenderLateMs float64   // the latest a far-end sender woke after its deadline
	ToBrowser    direction // phone -> node -> browser
	ToPhone      direction // browser -> node -> phone
}

func TestCapacityBrowserLegs(t *testing.T) {
	spec := os.Getenv(envLegs)
	if spec == "" {
		t.Skipf("set %s=50,100,... to measure", envLegs)
	}
	hold := 20 * time.Second
	if v := os.Getenv(envHold); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a duration", envHold, v)
		}
		hold = d
	}
	var rows []string
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > benchPortSpan/2 {
			t.Fatalf("%s: %q is not a leg count (1-%d)", envLegs, f, benchPortSpan/2)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) { rows = append(rows, runCapacity(t, n, hold)) })
	}
	t.Logf("\n| legs | result | lost | max gap | gaps > 60 ms | node CPU | per leg | per packet | far-end CPU | others' CPU | node RSS | setup | load (1 min) |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

// runCapacity runs one level and returns its table row.
func runCapacity(t *testing.T, n int, hold time.Duration) string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	far := startFarEnd(t)
	defer far.close()
	e := newTestEngine(t, Config{Listen: netip.MustParseAddrPort("127.0.0.1:0")})
	ports, err := media.NewPortAllocator(loopback, benchNodePorts, benchNodePorts+benchPortSpan, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	defer ports.Close()

	legs := make([]*Leg, n)
	sessions := make([]*media.Session, n)
	bridges := make([]*media.Bridge, n)
	timed := make([][2]*timedLeg, n)
	var measuring atomic.Bool
	defer func() {
		for i := range n {
			if bridges[i] != nil {
				bridges[i].Stop()
			}
			if legs[i] != nil {
				legs[i].Close()
			}
			if sessions[i] != nil {
				sessions[i].Close()
			}
		}
	}()
	setupStart := time.Now()
	sem := make(chan struct{}, benchSetupPar)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var err error
			legs[i], sessions[i], bridges[i], timed[i], err = setupBenchLeg(ctx, e, ports, far, i, &measuring)
			if err != nil {
				errs <- fmt.Errorf("leg %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	setup := time.Since(setupStart)

	if m := far.call(benchMsg{Op: "start"}); m.Err != "" {
		t.Fatalf("far end start: %s", m.Err)
	}
	time.Sleep(benchWarmup)
	load := loadAvg()
	cpu0, busy0 := processCPU(), machineBusy()
	far.call(benchMsg{Op: "measure"})
	measuring.Store(true)
	time.Sleep(hold)
	measuring.Store(false)
	nodeCPU := processCPU() - cpu0
	others := (machineBusy() - busy0).Seconds() - nodeCPU.Seconds() // far end and other work
	res := far.call(benchMsg{Op: "stop"}).Result
	if res == nil {
		t.Fatal("no result from the far end")
	}
	rss := rssMB()
	var legDropped, legNotSent, sessDropped uint64
	var inFromPhone, inFromBrowser time.Duration
	for i := range n {
		inFromPhone = max(inFromPhone, time.Duration(timed[i][0].maxGap.Load()))
		inFromBrowser = max(inFromBrowser, time.Duration(timed[i][1].maxGap.Load()))
		ls, ss := legs[i].Stats(), sessions[i].Stats()
		legDropped += ls.Dropped
		legNotSent += ls.NotSent
		sessDropped += ss.Dropped
		if legs[i].isDone() {
			t.Errorf("leg %d ended during the hold: %v", i, legs[i].Err())
		}
	}

	lost := (res.ToBrowser.Sent - res.ToBrowser.Received) + (res.ToPhone.Sent - res.ToPhone.Received)
	maxGap := max(res.ToBrowser.MaxGapMs, res.ToPhone.MaxGapMs)
	over := res.ToBrowser.Over60 + res.ToPhone.Over60
	ok := lost == 0 && maxGap <= float64(benchMaxGap/time.Millisecond)
	verdict := "**pass**"
	if !ok {
		verdict = "fail"
	}
	cores := nodeCPU.Seconds() / hold.Seconds()
	perPacket := nodeCPU.Seconds() / (float64(n) * 200 * hold.Seconds()) // 4 packet hops x 50/s per leg
	farCores := res.CPUSeconds / hold.Seconds()
	otherCores := max(others/hold.Seconds()-farCores, 0)
	t.Logf("%d legs: %s; lost %d (to browser %d/%d, to phone %d/%d); max gap %.1f ms (to browser %.1f, to phone %.1f), "+
		"%d gaps > 60 ms on %d streams; node CPU %.2f cores (%.2f %% of a core per leg, %.1f µs per packet hop); "+
		"far end %.2f cores; other processes %.2f cores; node drops: leg %d, not sent %d, session %d; RSS %d MB; setup %v; load %s; "+
		"max gap arriving at the node: from phones %v, from browsers %v; far-end senders late by up to %.1f ms",
		n, verdict, lost, res.ToBrowser.Sent-res.ToBrowser.Received, res.ToBrowser.Sent, res.ToPhone.Sent-res.ToPhone.Received, res.ToPhone.Sent,
		maxGap, res.ToBrowser.MaxGapMs, res.ToPhone.MaxGapMs, over, res.ToBrowser.StreamsOver60+res.ToPhone.StreamsOver60,
		cores, 100*cores/float64(n), perPacket*1e6, farCores, otherCores, legDropped, legNotSent, sessDropped, rss,
		setup.Round(time.Millisecond), load, inFromPhone.Round(100*time.Microsecond), inFromBrowser.Round(100*time.Microsecond), res.SenderLateMs)
	return fmt.Sprintf("| %d | %s | %d | %.1f ms | %d | %.2f cores | %.2f %% | %.1f µs | %.2f cores | %.2f cores | %d MB | %.1f s | %s |",
		n, verdict, lost, maxGap, over, cores, 100*cores/float64(n), perPacket*1e6, farCores, otherCores, rss,
		setup.Seconds(), load)
}

// timedLeg is a leg whose reads the node times: the gaps between packets
// as they reach the node (far-end sender, network and the receiving half
// of the node), to tell where a gap at the far end came from.
type timedLeg struct {
	media.Leg
	measuring *atomic.Bool
	last      time.Time // only the bridge's goroutine reads a leg
	maxGap    atomic.Int64
}

func (l *timedLeg) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	p, err := l.Leg.ReadRTP(ctx)
	if err == nil {
		now := time.Now()
		if gap := int64(now.Sub(l.last)); l.measuring.Load() && !l.last.IsZero() && gap > l.maxGap.Load() {
			l.maxGap.Store(gap)
		}
		l.last = now
	}
	return p, err
}

// setupBenchLeg makes the node's half of one call and has the far end
// answer it.
func setupBenchLeg(ctx context.Context, e *Engine, ports *media.PortAllocator, far *farEnd, i int, measuring *atomic.Bool,
) (*Leg, *media.Session, *media.Bridge, [2]*timedLeg, error) {
	var timed [2]*timedLeg
	sess, err := media.NewSession(ports, media.WithLogger(quiet()), media.WithMediaTimeouts(0, 0))
	if err != nil {
		return nil, nil, nil, timed, err
	}
	l, err := e.NewLeg(ctx, LegOptions{Prefer: media.PCMU, CallID: fmt.Sprintf("bench-%d", i)})
	if err != nil {
		return nil, sess, nil, timed, err
	}
	m := far.call(benchMsg{Op: "leg", I: i, SDP: l.Offer(), Addr: netip.AddrPortFrom(loopback, uint16(sess.LocalPort())).String()})
	if m.Err != "" {
		return l, sess, nil, timed, fmt.Errorf("far end: %s", m.Err)
	}
	phone, err := netip.ParseAddrPort(m.Addr)
	if err != nil {
		return l, sess, nil, timed, err
	}
	if err := l.Accept(m.SDP); err != nil {
		return l, sess, nil, timed, err
	}
	sess.Apply(media.Negotiated{Codec: media.PCMU, LocalCodec: media.PCMU, Remote: phone})
	sess.Start()
	select {
	case <-l.Connected():
	case <-l.Done():
		return l, sess, nil, timed, l.Err()
	case <-time.After(15 * time.Second):
		return l, sess, nil, timed, fmt.Errorf("not connected after 15 s")
	}
	timed = [2]*timedLeg{{Leg: sess, measuring: measuring}, {Leg: l, measuring: measuring}}
	return l, sess, media.NewBridge(ctx, timed[0], timed[1], media.WithBridgeLogger(quiet())), timed, nil
}

// farEnd is the far-end process, spoken to in JSON lines: requests on its
// standard input, replies on its file descriptor 3.
type farEnd struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
	inM   sync.Mutex

	mu      sync.Mutex
	waiters map[string]chan benchMsg
	done    chan struct{}
}

func startFarEnd(t *testing.T) *farEnd {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{os.Args[0], "-test.run=^TestCapacityFarEnd$", "-test.count=1", "-test.timeout=0"}
	if cpus := os.Getenv(envFarEndCPUs); cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...) // the node pins itself with taskset too
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envFarEnd+"=1")
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f := &farEnd{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), waiters: map[string]chan benchMsg{}, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m benchMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				continue
			}
			f.mu.Lock()
			if ch := f.waiters[waitKey(m)]; ch != nil {
				ch <- m
			}
			f.mu.Unlock()
		}
	}()
	return f
}

func waitKey(m benchMsg) string {
	if m.Op == "leg" {
		return "leg/" + strconv.Itoa(m.I)
	}
	return "ctl"
}

// call sends a request and waits for its reply (the far end answers a "leg"
// with the same op and index, anything else in order).
func (f *farEnd) call(m benchMsg) benchMsg {
	ch := make(chan benchMsg, 1)
	key := waitKey(m)
	f.mu.Lock()
	f.waiters[key] = ch
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiters, key)
		f.mu.Unlock()
	}()
	f.inM.Lock()
	err := f.enc.Encode(m)
	f.inM.Unlock()
	if err != nil {
		return benchMsg{Err: err.Error()}
	}
	select {
	case r := <-ch:
		return r
	case <-f.done:
		return benchMsg{Err: "far end exited"}
	case <-time.After(2 * time.Minute):
		return benchMsg{Err: "far end did not answer"}
	}
}

func (f *farEnd) close() {
	f.stdin.Close() // the far end closes everything and exits
	_ = f.cmd.Wait()
	<-f.done
}

// processCPU is this process's user plus system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy is the CPU time all processes of the machine spent, from the
// first line of /proc/stat: user, nice, system, irq, softirq and steal
// (the hypervisor's other guests); not idle, iowait, or guest (already in
// user).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest, guest_nice
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// loadAvg is the 1-minute load average, from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// rssMB is this process's resident memory, from /proc/self/status.
func rssMB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb / 1024
		}
	}
	return 0
}
