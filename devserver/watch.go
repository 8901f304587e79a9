package devserver

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"
)

// pollInterval is how often the watcher looks at the project's files.
const pollInterval = 500 * time.Millisecond

// skippedDirs are not watched: dependencies, version control and build
// output change without the function's source changing.
var skippedDirs = map[string]bool{
	"node_modules": true,
	".git":         true,
	"cdk.out":      true,
	".aws-sam":     true,
}

// fileStamp is what the watcher compares.
type fileStamp struct {
	mod  time.Time
	size int64
}

// scanFiles records every file under root, skipping skippedDirs.
func scanFiles(root string) map[string]fileStamp {
	files := map[string]fileStamp{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file that vanished mid-walk shows up as removed
		}
		if d.IsDir() {
			if p != root && skippedDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil {
			files[p] = fileStamp{mod: info.ModTime(), size: info.Size()}
		}
		return nil
	})
	return files
}

// changedFile returns a file that differs between two scans, or "".
// settingsFiles are the files, relative to the project, that LoadProject
// reads settings from; a change to one reloads them at the restart.
var settingsFiles = []string{"template.yaml", ".streamgen.json", "package.json"}

func changedFile(before, after map[string]fileStamp) string {
	for p, a := range after {
		if b, ok := before[p]; !ok || b != a {
			return p
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			return p
		}
	}
	return ""
}

// watch polls the project's files every pollInterval and restarts the
// function, once no invocation runs, after a change. A burst of changes
// (an editor saving several files) gives one restart: it waits for a poll
// with no further change.
func (s *Server) watch(ctx context.Context) {
	root := s.project.Dir
	last := scanFiles(root)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	changed := ""
	settingsChanged := false // a file the project's settings come from
	var stale *env
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := scanFiles(root)
		if p := changedFile(last, now); p != "" {
			for _, name := range settingsFiles {
				f := filepath.Join(root, name)
				if last[f] != now[f] {
					settingsChanged = true
				}
			}
			last = now
			if changed == "" {
				changed = p
				// The environment running the old code: if a request
				// replaces it before the restart, that one is fresh.
				s.mu.Lock()
				stale = s.env
				s.mu.Unlock()
			}
			continue
		}
		if changed != "" {
			rel, err := filepath.Rel(root, changed)
			if err != nil {
				rel = changed
			}
			settings := settingsChanged
			settingsChanged = false
			s.restart(ctx, stale, sanitize(filepath.ToSlash(rel))+" changed", settings)
			// last stays the scan the change was settled on: a file
			// saved while the function restarted shows up on the next
			// poll and restarts it again.
			changed, stale = "", nil
		}
	}
}
