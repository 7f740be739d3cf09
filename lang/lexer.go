// Package lang is the front end of mmsim: the lexer, the participle grammar,
// the abstract syntax tree with positions, and syntax errors in plain words.
//
// lang knows nothing of the machine model; it only turns text into a File.
package lang

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Keywords are reserved words: they cannot name variables or functions.
// Attribute names after "." may still be keywords (c.free, t.state).
var Keywords = []string{
	"NULL", "and", "as", "assert", "atomic", "break", "cache", "check",
	"continue", "cpu", "else", "expect", "false", "fn", "for", "if", "in",
	"int", "int3", "irq", "machine", "not", "or", "page", "print", "proc",
	"ptr", "repeat", "return", "setup", "show", "skip", "softirq", "test",
	"true", "use", "while",
}

// IsKeyword reports whether s is a reserved word.
func IsKeyword(s string) bool {
	for _, k := range Keywords {
		if k == s {
			return true
		}
	}
	return false
}

func keywordPattern() string {
	var ks []string
	for _, k := range Keywords {
		if k != "show" {
			ks = append(ks, k)
		}
	}
	return `\b(` + strings.Join(ks, "|") + `)\b`
}

// The lexer is stateful for one reason: after "show", a word that starts
// with "-" is a flag (show kmem -s), not a minus sign. The ShowArgs state
// ends with the statement.
var lexerDef = lexer.MustStateful(lexer.Rules{
	"Root": {
		{Name: "Comment", Pattern: `#[^\n]*`},
		{Name: "Whitespace", Pattern: `[ \t\r]+|\\\r?\n`},
		{Name: "EOL", Pattern: `[\n;]`},
		{Name: "Show", Pattern: `\bshow\b`, Action: lexer.Push("ShowArgs")},
		{Name: "Keyword", Pattern: keywordPattern()},
		{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
		{Name: "Int", Pattern: `[0-9][0-9A-Za-z_]*`},
		{Name: "String", Pattern: `"(\\.|[^"\\\n])*"`},
		{Name: "BadString", Pattern: `"(\\.|[^"\\\n])*`},
		{Name: "Punct", Pattern: `<<=|>>=|\.\.|==|!=|<=|>=|<<|>>|&&|\|\||\+=|-=|\*=|/=|%=|&=|\|=|\^=|[-+*/%&|^~!<>=(){}\[\],.:]`},
	},
	"ShowArgs": {
		{Name: "EOL", Pattern: `[\n;]`, Action: lexer.Pop()},
		{Name: "CloseBrace", Pattern: `\}`, Action: lexer.Pop()},
		{Name: "Flag", Pattern: `-[A-Za-z][A-Za-z0-9_]*`},
		lexer.Include("Root"),
	},
})

// Comment is one "#" comment of a source text.
type Comment struct {
	Pos  Pos
	Text string // from the "#" to the end of the line
}

// Comments returns the comments of src in order. Text that does not lex
// (a string left open) ends the list early; the parser reports it.
func Comments(filename, src string) []Comment {
	lex, err := lexerDef.LexString(filename, src)
	if err != nil {
		return nil
	}
	comment := lexerDef.Symbols()["Comment"]
	var out []Comment
	for {
		tok, err := lex.Next()
		if err != nil || tok.EOF() {
			return out
		}
		if tok.Type == comment {
			out = append(out, Comment{
				Pos:  Pos{File: filename, Line: tok.Pos.Line, Col: tok.Pos.Column, Offset: tok.Pos.Offset},
				Text: tok.Value,
			})
		}
	}
}
