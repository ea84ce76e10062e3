// Reference answers from Go's strconv for Hearth's PromQL number literal test: Prometheus
// reads a literal with strconv.ParseInt(s, 0, 64) and, where that fails, strconv.ParseFloat.
// Reads one literal per line; writes one line per input: "ok <float64 bits in hex>" or
// "err <invalid syntax|value out of range>".
package main

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		s := in.Text()
		n, err := strconv.ParseInt(s, 0, 64)
		f := float64(n)
		if err != nil {
			f, err = strconv.ParseFloat(s, 64)
		}
		if err != nil {
			reason := "invalid syntax"
			if errors.Is(err, strconv.ErrRange) {
				reason = "value out of range"
			}
			fmt.Fprintf(out, "err %s\n", reason)
			continue
		}
		fmt.Fprintf(out, "ok %x\n", math.Float64bits(f))
	}
}
