package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is USER_HZ, the unit of CPU times in /proc/<pid>/stat: 100 on
// every Linux this runs on.
const clockTick = 100

// procStat is what /proc/<pid>/stat says about a process's CPU time.
type procStat struct {
	ppid       int
	cpu        time.Duration // user + system of the process itself
	reapedKids time.Duration // cutime + cstime: children it waited for
}

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3, the state
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k-3], 10, 64); return v }
	tick := func(v int64) time.Duration { return time.Duration(v) * time.Second / clockTick }
	return procStat{ppid: int(n(4)), cpu: tick(n(14) + n(15)), reapedKids: tick(n(16) + n(17))}, nil
}

// treeCPU returns the CPU time used so far by pid and all its children,
// living or reaped: for a PostgreSQL postmaster, the whole server.
func treeCPU(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	total := st.cpu + st.reapedKids
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		kid, _ := strconv.Atoi(filepath.Base(d))
		if ks, err := readStat(kid); err == nil && ks.ppid == pid {
			total += ks.cpu
		}
	}
	return total, nil
}

// statusKB returns a "kB" field of /proc/<pid>/status, such as VmHWM.
func statusKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// meter measures one process (and optionally a PostgreSQL postmaster)
// over an interval: CPU seconds and the peak resident set size.
type meter struct {
	pid, pgPid       int
	cpu0, pg0, self0 time.Duration
	busy0            time.Duration
	start            time.Time
	watched          []int // more processes whose CPU time is counted apart
	watched0         time.Duration
	stop             chan struct{}
	done             sync.WaitGroup
	peakKB           int64
}

// startMeter begins measuring. pid or pgPid may be 0 to skip them. It
// resets the process's VmHWM (writing 5 to clear_refs) so that the peak is
// this interval's; where that is refused it samples VmRSS every 100 ms.
func startMeter(pid, pgPid int) *meter {
	m := &meter{pid: pid, pgPid: pgPid, start: time.Now(), stop: make(chan struct{})}
	m.self0, m.busy0 = selfCPU(), machineBusy()
	if pid > 0 {
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		if st, err := readStat(pid); err == nil {
			m.cpu0 = st.cpu
		}
		m.done.Add(1)
		go m.sample()
	}
	if pgPid > 0 {
		m.pg0, _ = treeCPU(pgPid)
	}
	return m
}

func (m *meter) sample() {
	defer m.done.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if kb, err := statusKB(m.pid, "VmRSS"); err == nil {
			m.peakKB = max(m.peakKB, kb)
		}
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

// usage is what a meter measured.
type usage struct {
	wall              time.Duration
	server, pg, agent time.Duration // CPU time of server, PostgreSQL, this tool
	watched           time.Duration // CPU time of the processes given to meter.watch
	busy              time.Duration // CPU time of the whole machine
	peakRSS           int64         // bytes; 0 if unknown
}

// others is the CPU time of everything else on the machine.
func (u usage) others() time.Duration { return max(0, u.busy-u.server-u.pg-u.agent-u.watched) }

// watch counts the CPU time of pids apart from here on (witnesses, say).
func (m *meter) watch(pids []int) {
	m.watched, m.watched0 = pids, cpuOf(pids)
}

// cpuOf is the CPU time of the processes pids, living ones only.
func cpuOf(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		if st, err := readStat(pid); err == nil {
			total += st.cpu
		}
	}
	return total
}

// end stops the meter.
func (m *meter) end() usage {
	u := usage{wall: time.Since(m.start), agent: selfCPU() - m.self0, busy: machineBusy() - m.busy0}
	if len(m.watched) > 0 {
		u.watched = cpuOf(m.watched) - m.watched0
	}
	if m.pid > 0 {
		close(m.stop)
		m.done.Wait()
		if st, err := readStat(m.pid); err == nil {
			u.server = st.cpu - m.cpu0
		}
		hwm, _ := statusKB(m.pid, "VmHWM")
		u.peakRSS = max(hwm, m.peakKB) * 1024
	}
	if m.pgPid > 0 {
		if c, err := treeCPU(m.pgPid); err == nil {
			u.pg = c - m.pg0
		}
	}
	return u
}

func selfCPU() time.Duration {
	st, _ := readStat(os.Getpid())
	return st.cpu
}

// machineBusy returns the CPU time all cores have spent not idle since
// boot, from the first line of /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTick
}

// waitQuiet waits until the machine's cores, sampled over one second, are
// less than busyPct busy (this tool's own servers being idle between runs),
// or until patience runs out. It returns how busy the last sample was.
func waitQuiet(busyPct float64, patience time.Duration) float64 {
	deadline := time.Now().Add(patience)
	for {
		b0, t0 := machineBusy(), time.Now()
		time.Sleep(time.Second)
		pct := 100 * (machineBusy() - b0).Seconds() / time.Since(t0).Seconds() / float64(runtime.NumCPU())
		if pct < busyPct || time.Now().After(deadline) {
			return pct
		}
	}
}
