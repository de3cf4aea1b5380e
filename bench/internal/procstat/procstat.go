/*
Copyright 2026 The Berth Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package procstat reads CPU time from Linux's /proc for the benchmarks: what one process has
// used (/proc/<pid>/stat) and what the machine's CPUs have done (/proc/stat), so a figure can
// say where a run's CPU went and a pause can wait for an idle machine.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// tick is one clock tick of /proc's CPU times: Linux's USER_HZ is 100 on every architecture
// Go supports there.
const tick = 10 * time.Millisecond

// Process is the CPU time (user and system) process pid has used so far.
func Process(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	d, err := parseProcess(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// parseProcess reads utime and stime (fields 14 and 15) from the text of /proc/<pid>/stat.
// The command name, field 2, is in parentheses and may hold spaces and parentheses, so the
// fields are counted after the last ')'.
func parseProcess(b []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", b)
	}
	fields := strings.Fields(string(b[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return time.Duration(ticks) * tick, nil
}

// CPU is the time all of the machine's CPUs have spent so far, summed over the CPUs.
type CPU struct {
	// Idle is the time with nothing to run.
	Idle time.Duration
	// IOWait is the time idle while a disk read or write was outstanding.
	IOWait time.Duration
	// Steal is the time a virtual CPU was ready to run but the host ran something else: on a
	// shared virtual machine, how much of a slow minute was the neighbours'.
	Steal time.Duration
	// Total is all of it: user, nice, system, idle, iowait, irq, softirq and steal (guest time
	// is counted in user and nice already).
	Total time.Duration
}

// Busy is the time the CPUs ran something, or were kept from it (Steal): all but Idle and
// IOWait.
func (c CPU) Busy() time.Duration { return c.Total - c.Idle - c.IOWait }

// Sub is the time spent between an earlier reading and c.
func (c CPU) Sub(earlier CPU) CPU {
	return CPU{Idle: c.Idle - earlier.Idle, IOWait: c.IOWait - earlier.IOWait, Steal: c.Steal - earlier.Steal, Total: c.Total - earlier.Total}
}

// Machine reads the CPU time of all CPUs so far from /proc/stat.
func Machine() (CPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPU{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	c, err := parseMachine(line)
	if err != nil {
		return CPU{}, fmt.Errorf("/proc/stat: %w", err)
	}
	return c, nil
}

// parseMachine reads /proc/stat's first line: "cpu user nice system idle iowait irq softirq
// steal guest guest_nice", in clock ticks.
func parseMachine(line string) (CPU, error) {
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return CPU{}, fmt.Errorf("unexpected first line %q", line)
	}
	var c CPU
	for i, f := range fields[1:9] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return CPU{}, fmt.Errorf("field %d of %q: %w", i+1, line, err)
		}
		d := time.Duration(v) * tick
		c.Total += d
		switch i {
		case 3:
			c.Idle = d
		case 4:
			c.IOWait = d
		case 7:
			c.Steal = d
		}
	}
	return c, nil
}
