package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// CompileTopicPattern compiles ioConfig.topicPattern, a Java regular expression, for Go's
// regexp package, so that it matches a topic name the way Druid's Pattern.matcher(topic)
// .matches() does: against the whole name, never a substring ("metrics-.*" matches
// "metrics-a" but not "my-metrics-a").
//
// Java syntax that has a Go equivalent is translated: \uXXXX escapes, the POSIX classes
// \p{Lower}, \p{Alnum}, ... (and their \P negations), and \Z (topic names hold no line
// terminator, so it is \z). Java syntax whose meaning Go would silently change is refused:
// character-class intersection (&&) and nested classes ([a[b]]). Everything else Go does not
// know (lookaround, backreferences, possessive quantifiers, atomic groups) fails to compile,
// and the error says so.
func CompileTopicPattern(pattern string) (*regexp.Regexp, error) {
	goPat, err := translateJavaRegexp(pattern)
	if err != nil {
		return nil, fmt.Errorf("%q is not a supported pattern: %v", pattern, err)
	}
	re, err := regexp.Compile(`\A(?:` + goPat + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid pattern: %v (Java-only syntax such as lookahead/lookbehind, backreferences, possessive quantifiers and atomic groups is not supported)",
			pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// javaPOSIX maps Java's US-ASCII POSIX classes (\p{Lower}) to Go's ASCII classes ([:lower:]).
var javaPOSIX = map[string]string{
	"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha", "Digit": "digit",
	"Alnum": "alnum", "Punct": "punct", "Graph": "graph", "Print": "print", "Blank": "blank",
	"Cntrl": "cntrl", "XDigit": "xdigit", "Space": "space",
}

// translateJavaRegexp rewrites the Java constructs described at CompileTopicPattern. It walks
// the pattern once, keeping track of escapes, \Q...\E quoting and character classes.
func translateJavaRegexp(p string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			next := p[i+1]
			switch {
			case next == 'Q':
				// \Q...\E quotes literally in both dialects; copy it untouched.
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					b.WriteString(p[i:])
					return b.String(), nil
				}
				b.WriteString(p[i : i+2+end+2])
				i += 2 + end + 1
			case next == 'u' && i+6 <= len(p) && isHex(p[i+2:i+6]):
				fmt.Fprintf(&b, `\x{%s}`, p[i+2:i+6])
				i += 5
			case next == 'Z' && !inClass:
				b.WriteString(`\z`)
				i++
			case (next == 'p' || next == 'P') && i+2 < len(p) && p[i+2] == '{':
				end := strings.IndexByte(p[i+3:], '}')
				if end < 0 {
					b.WriteString(p[i : i+2])
					i++
					continue
				}
				name := p[i+3 : i+3+end]
				posix, ok := javaPOSIX[strings.TrimPrefix(name, "Is")]
				if !ok {
					b.WriteString(p[i : i+3+end+1]) // a Unicode class: Go reads it alike
				} else {
					neg := ""
					if next == 'P' {
						neg = "^"
					}
					if inClass {
						fmt.Fprintf(&b, "[:%s%s:]", neg, posix)
					} else {
						fmt.Fprintf(&b, "[[:%s%s:]]", neg, posix)
					}
				}
				i += 3 + end
			default:
				b.WriteString(p[i : i+2])
				i++
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A leading ^ and a leading ] are part of the class syntax, not members.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == '[' && inClass:
			return "", fmt.Errorf("nested character classes ([a[b]]) are Java-only; write the union as one class ([ab])")
		case c == '&' && inClass && i+1 < len(p) && p[i+1] == '&':
			return "", fmt.Errorf("character class intersection (&&) is Java-only; list the wanted characters in one class")
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
