// Reference answers from Go's regexp package for Hearth's differential regex tests.
// Reads JSON lines {"p": pattern, "s": subject, "t": template}; writes one JSON line per input:
// {"valid": bool, "err": message, "full": whole-string match, "sub": FindStringSubmatchIndex,
// "exp": ExpandString(t) of that match}.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
)

type query struct {
	P string `json:"p"`
	S string `json:"s"`
	T string `json:"t"`
}

type answer struct {
	Valid bool   `json:"valid"`
	Err   string `json:"err"`
	Full  bool   `json:"full"`
	Sub   []int  `json:"sub"`
	Exp   string `json:"exp"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var q query
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			panic(err)
		}
		var a answer
		re, err := regexp.Compile(q.P)
		if err != nil {
			a.Err = err.Error()
		} else {
			a.Valid = true
			a.Sub = re.FindStringSubmatchIndex(q.S)
			if a.Sub != nil {
				a.Exp = string(re.ExpandString(nil, q.T, q.S, a.Sub))
			}
			// An unterminated \Q...  would swallow the wrapper's `)$`: close it first.
			full, err := regexp.Compile(`^(?:` + q.P + `)$`)
			if err != nil {
				full = regexp.MustCompile(`^(?:` + q.P + `\E)$`)
			}
			a.Full = full.MatchString(q.S)
		}
		enc.Encode(a)
	}
}
