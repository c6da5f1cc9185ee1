// Test oracle: reads one JSON string per line on stdin (the input) and writes one JSON object per
// line with what Go's standard library makes of it (net.ParseMAC, strconv.ParseBool,
// netip.ParsePrefix, netip.ParseAddr, strconv.Quote). Used only by the differential tests of
// @sandbox/vmm-krun's Go ports; never shipped.
package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"strconv"
)

type result struct {
	Mac       *string `json:"mac"`
	MacErr    *string `json:"mac_err"`
	Bool      *bool   `json:"bool"`
	BoolErr   *string `json:"bool_err"`
	Prefix    *string `json:"prefix"`
	Is4       *bool   `json:"is4"`
	Gateway   *string `json:"gateway"`
	PrefixErr *string `json:"prefix_err"`
	Addr      *string `json:"addr"`
	AddrErr   *string `json:"addr_err"`
	Quote     string  `json:"quote"`
}

func str(s string) *string { return &s }

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var raw string
		if err := json.Unmarshal(in.Bytes(), &raw); err != nil {
			panic(err)
		}
		var r result
		r.Quote = strconv.Quote(raw)
		if hw, err := net.ParseMAC(raw); err != nil {
			r.MacErr = str(err.Error())
		} else {
			r.Mac = str(hw.String())
		}
		if b, err := strconv.ParseBool(raw); err != nil {
			r.BoolErr = str(err.Error())
		} else {
			r.Bool = &b
		}
		if p, err := netip.ParsePrefix(raw); err != nil {
			r.PrefixErr = str(err.Error())
		} else {
			r.Prefix = str(p.String())
			is4 := p.Addr().Is4()
			r.Is4 = &is4
			gw := p.Masked().Addr().Next()
			if gw.IsValid() {
				r.Gateway = str(gw.String())
			}
		}
		if a, err := netip.ParseAddr(raw); err != nil {
			r.AddrErr = str(err.Error())
		} else {
			r.Addr = str(a.String())
		}
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
	}
}
