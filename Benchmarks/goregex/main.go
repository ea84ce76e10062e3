// Go's regexp on the shapes and values hearth-bench wrote (hearth-bench regex FILE), timed the
// same way (best of three rounds of at least 0.2 s), for side-by-side ratios.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"time"
)

type shape struct {
	Name    string   `json:"name"`
	Pattern string   `json:"pattern"`
	Values  []string `json:"values"`
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var shapes []shape
	if err := json.Unmarshal(data, &shapes); err != nil {
		panic(err)
	}
	fmt.Println("shape | Go regexp matches/s")
	for _, s := range shapes {
		re := regexp.MustCompile("^(?s:" + s.Pattern + ")$")
		best := 0.0
		for round := 0; round < 3; round++ {
			n, hits := 0, 0
			start := time.Now()
			for {
				for _, v := range s.Values {
					if re.MatchString(v) {
						hits++
					}
				}
				n += len(s.Values)
				if time.Since(start) >= 200*time.Millisecond {
					break
				}
			}
			if r := float64(n) / time.Since(start).Seconds(); r > best {
				best = r
			}
			_ = hits
		}
		fmt.Printf("%s | %d\n", s.Name, int(best))
	}
}
