package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func echo(args []string) error {
	_, err := fmt.Fprintln(stdout, strings.Join(args, " "))
	return err
}

// flags splits leading -x options off args.
func flags(args []string) (string, []string) {
	var f string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		f += args[0][1:]
		args = args[1:]
	}
	return f, args
}

func mkdir(args []string) error {
	f, args := flags(args)
	for _, d := range args {
		var err error
		if strings.Contains(f, "p") {
			err = os.MkdirAll(d, 0o755)
		} else {
			err = os.Mkdir(d, 0o755)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func cat(args []string) error {
	if len(args) == 0 {
		_, err := io.Copy(stdout, os.Stdin)
		return err
	}
	for _, p := range args {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(stdout, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// cp copies files (not directories), keeping the mode.
func cp(args []string) error {
	_, args = flags(args)
	if len(args) < 2 {
		return fmt.Errorf("usage: cp SRC... DEST")
	}
	dest := args[len(args)-1]
	for _, src := range args[:len(args)-1] {
		target := dest
		if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
			target = filepath.Join(dest, filepath.Base(src))
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		fi, err := os.Stat(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func ln(args []string) error {
	f, args := flags(args)
	if len(args) != 2 {
		return fmt.Errorf("usage: ln [-s] TARGET LINK")
	}
	if strings.Contains(f, "s") {
		return os.Symlink(args[0], args[1])
	}
	return os.Link(args[0], args[1])
}

func chmod(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: chmod OCTAL FILE...")
	}
	m, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		return fmt.Errorf("mode %q: only octal modes", args[0])
	}
	for _, p := range args[1:] {
		if err := os.Chmod(p, os.FileMode(m&0o777)|modeBits(m)); err != nil {
			return err
		}
	}
	return nil
}

// modeBits maps the setuid, setgid and sticky octal bits to Go's.
func modeBits(m uint64) os.FileMode {
	var out os.FileMode
	if m&0o4000 != 0 {
		out |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}

func rm(args []string) error {
	f, args := flags(args)
	for _, p := range args {
		var err error
		if strings.Contains(f, "r") {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err != nil && !(strings.Contains(f, "f") && os.IsNotExist(err)) {
			return err
		}
	}
	return nil
}
