package spec

import (
	"errors"
	"fmt"
	"strings"
)

// JAAS is one login module entry of a sasl.jaas.config value, as Java Kafka clients write it:
//
//	org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
type JAAS struct {
	// Module is the login module class name.
	Module string
	// Flag is the control flag (required, requisite, sufficient or optional).
	Flag string
	// Options are the key=value pairs, unquoted.
	Options map[string]string
}

// ParseJAAS reads a sasl.jaas.config value. An empty value gives an empty JAAS. Values may be
// double- or single-quoted (with backslash escapes) or bare words, as in Java's JAAS
// configuration syntax. Errors never quote the input: it holds passwords.
func ParseJAAS(s string) (JAAS, error) {
	j := JAAS{Options: map[string]string{}}
	toks, err := jaasTokens(s)
	if err != nil {
		return j, err
	}
	if len(toks) == 0 {
		return j, nil
	}
	if toks[len(toks)-1].text != ";" || toks[len(toks)-1].quoted {
		return j, errors.New("must end with ';' (LoginModule required key=\"value\";)")
	}
	toks = toks[:len(toks)-1]
	if len(toks) < 2 || toks[0].quoted || toks[1].quoted {
		return j, errors.New("must start with a login module class and a flag (LoginModule required key=\"value\";)")
	}
	j.Module, j.Flag = toks[0].text, strings.ToLower(toks[1].text)
	switch j.Flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return j, fmt.Errorf("unknown login module flag %q (expected required, requisite, sufficient or optional)", toks[1].text)
	}
	rest := toks[2:]
	for len(rest) > 0 {
		if len(rest) < 3 || rest[0].quoted || rest[1].text != "=" || rest[1].quoted {
			return j, errors.New("options must be key=\"value\" pairs")
		}
		if rest[2].text == ";" && !rest[2].quoted {
			return j, fmt.Errorf("option %s has no value", rest[0].text)
		}
		j.Options[rest[0].text] = rest[2].text
		rest = rest[3:]
	}
	return j, nil
}

type jaasToken struct {
	text   string
	quoted bool
}

func jaasTokens(s string) ([]jaasToken, error) {
	var out []jaasToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '=' || c == ';':
			out = append(out, jaasToken{text: string(c)})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, errors.New("unterminated quoted value")
			}
			out = append(out, jaasToken{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n=;\"'", rune(s[j])) {
				j++
			}
			out = append(out, jaasToken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}
