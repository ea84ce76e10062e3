// Renders alert templates with Go's text/template, standard library only, the way Prometheus
// prepares them (the $labels/$externalLabels/$externalURL/$value definitions and the
// AlertTemplateData struct), for Hearth's differential test. Input: a JSON file of cases;
// output: one JSON result per case.
package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"text/template"
)

type testCase struct {
	Template       string
	Labels         map[string]string
	ExternalLabels map[string]string
	ExternalURL    string
	Value          string
}

type result struct {
	Output string
	Error  string
}

const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

func main() {
	input, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(input, &cases); err != nil {
		panic(err)
	}
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		v, _ := strconv.ParseFloat(c.Value, 64)
		data := struct {
			Labels         map[string]string
			ExternalLabels map[string]string
			ExternalURL    string
			Value          interface{}
		}{c.Labels, c.ExternalLabels, c.ExternalURL, v}
		var r result
		t, err := template.New("__alert_Test").Parse(defs + c.Template)
		if err != nil {
			r.Error = err.Error()
		} else {
			var sb strings.Builder
			if err := t.Execute(&sb, data); err != nil {
				r.Error = err.Error()
			} else {
				r.Output = sb.String()
			}
		}
		results = append(results, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
