package containerfile

import (
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Pos locates an instruction: the file and its first line (1-based).
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// File is a parsed Containerfile.
type File struct {
	Path string
	// Escape is the escape character (from the `# escape=` directive).
	Escape rune
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []*Arg
	Stages   []*Stage

	ast *parser.Node // the syntax tree, for Commands
}

// Stage is one FROM and the instructions that follow it.
type Stage struct {
	Index        int
	Name         string // lowercased "AS" name; empty when unnamed
	Base         string // the FROM argument, unexpanded
	Platform     string // the FROM --platform value, unexpanded
	Pos          Pos
	Instructions []Instruction
}

// Instruction is one lowered Containerfile instruction.
type Instruction interface {
	// Position is where the instruction starts.
	Position() Pos
	// Keyword is the upper-case instruction name (RUN, COPY, ...).
	Keyword() string
	// Original is the instruction's source text as BuildKit keeps it.
	Original() string
	// Command is BuildKit's parsed command, for the executor's exact semantics.
	Command() instructions.Command
}

type base struct {
	pos     Pos
	keyword string
	cmd     instructions.Command
}

func (b base) Position() Pos                 { return b.pos }
func (b base) Keyword() string               { return b.keyword }
func (b base) Command() instructions.Command { return b.cmd }
func (b base) Original() string {
	if s, ok := b.cmd.(fmt.Stringer); ok {
		return s.String()
	}
	return b.keyword
}

// KeyValue is a NAME=value pair of ENV or LABEL.
type KeyValue struct{ Key, Value string }

// ArgDef is one name of an ARG instruction; Default is nil without "=".
type ArgDef struct {
	Key     string
	Default *string
}

// Heredoc is an inline file of RUN, COPY or ADD (<<EOF ... EOF).
type Heredoc struct {
	Name   string
	Data   string
	Expand bool // COPY/ADD: the delimiter was unquoted, variables are expanded
	Chomp  bool // RUN: <<- strips leading tabs
}

// Arg is ARG NAME[=default] ...
type Arg struct {
	base
	Args []ArgDef
}

// Env is ENV NAME=value ...
type Env struct {
	base
	Vars []KeyValue
}

// Label is LABEL key=value ...
type Label struct {
	base
	Labels []KeyValue
}

// Workdir is WORKDIR path.
type Workdir struct {
	base
	Path string
}

// User is USER user[:group].
type User struct {
	base
	User string
}

// Shell is SHELL ["exe", "arg"...].
type Shell struct {
	base
	Shell []string
}

// Entrypoint is ENTRYPOINT in exec or shell form.
type Entrypoint struct {
	base
	Cmd          []string
	PrependShell bool
}

// Cmd is CMD in exec or shell form.
type Cmd struct {
	base
	Cmd          []string
	PrependShell bool
}

// ImageConfig is an instruction that only sets a field of the image
// config: EXPOSE, VOLUME, STOPSIGNAL or HEALTHCHECK (the executor reads
// the BuildKit command itself).
type ImageConfig struct {
	base
}

// Network modes of RUN --network.
const (
	NetworkDefault = "default"
	NetworkNone    = "none"
)

// Run is RUN in exec, shell or heredoc form.
type Run struct {
	base
	Cmd          []string
	PrependShell bool
	Heredocs     []Heredoc
	Network      string // NetworkDefault or NetworkNone
}

// Copy is COPY [--from] [--chmod] [--chown] src... dest (or heredoc sources).
type Copy struct {
	base
	From     string
	Chmod    string
	Chown    string
	Sources  []string
	Heredocs []Heredoc
	Dest     string
}

// Add is ADD [--chmod] [--chown] src... dest: local files, archives extracted.
type Add struct {
	base
	Chmod    string
	Chown    string
	Sources  []string
	Heredocs []Heredoc
	Dest     string
}

var (
	_ Instruction = (*Arg)(nil)
	_ Instruction = (*Env)(nil)
	_ Instruction = (*Label)(nil)
	_ Instruction = (*Workdir)(nil)
	_ Instruction = (*User)(nil)
	_ Instruction = (*Shell)(nil)
	_ Instruction = (*Entrypoint)(nil)
	_ Instruction = (*Cmd)(nil)
	_ Instruction = (*Run)(nil)
	_ Instruction = (*Copy)(nil)
	_ Instruction = (*Add)(nil)
)
