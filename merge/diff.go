// Package merge is a line-based three-way merge: the merge of `git
// merge-file --diff3`, whose results it reproduces (the same merged text
// and the same conflicts), so that what `streamgen upgrade` leaves in a
// file is what a developer's own tools would have left.
//
// The two-way diff underneath follows the choices of git's xdiff, since a
// three-way merge is only as predictable as the alignment of its diffs:
// lines found in only one file are set aside first (and lines found very
// often, when they sit among those), the common ends are trimmed, Myers'
// middle-snake search divides what is left, and each run of changed lines
// is then slid to line up with a change in the other file where it can.
package merge

// file is one side of a diff: its lines, and which of them the diff marks
// as changed.
type file struct {
	lines []string
	// class holds an id per line, equal for equal lines across both
	// files of a diff.
	class []int
	// changed has a sentinel false before and after the lines:
	// changed[i+1] is line i's.
	changed []bool
}

func (f *file) chg(i int) bool    { return f.changed[i+1] }
func (f *file) set(i int, v bool) { f.changed[i+1] = v }

// Limits of the diff, as xdiff has them.
const (
	maxEqLimit    = 1024 // a line this frequent is "multi-match" at most
	simScanWindow = 100  // how far around a multi-match line to look
	kpdisRun      = 4    // share of no-match lines that discards a multi-match line
	maxCostMin    = 256  // the least edit cost at which the search gives up
	heurMinCost   = 256  // the edit cost from which long snakes are taken early
	snakeCnt      = 20   // a snake this long is "long"
	kHeur         = 4
)

// bogosqrt is xdiff's integer approximation of a square root.
func bogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

// diff marks the changed lines of a and b.
func diff(a, b *file) {
	na, nb := len(a.lines), len(b.lines)
	// Classify: equal lines share an id; count each id's lines per file.
	ids := map[string]int{}
	var count1, count2 []int
	for _, f := range []*file{a, b} {
		f.class = make([]int, len(f.lines))
		for i, l := range f.lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
				count1 = append(count1, 0)
				count2 = append(count2, 0)
			}
			f.class[i] = id
		}
	}
	for _, id := range a.class {
		count1[id]++
	}
	for _, id := range b.class {
		count2[id]++
	}
	a.changed = make([]bool, na+2)
	b.changed = make([]bool, nb+2)

	// Trim the common ends.
	start := 0
	for start < na && start < nb && a.class[start] == b.class[start] {
		start++
	}
	end := 0
	for end < min(na, nb)-start && a.class[na-1-end] == b.class[nb-1-end] {
		end++
	}
	enda, endb := na-end-1, nb-end-1

	// Set aside lines with no match, and multi-match lines among them.
	dis := func(f *file, other []int, e int) []byte {
		d := make([]byte, len(f.lines)+1)
		mlim := min(bogosqrt(len(f.lines)), maxEqLimit)
		for i := start; i <= e; i++ {
			switch nm := other[f.class[i]]; {
			case nm == 0:
				d[i] = 0
			case nm >= mlim:
				d[i] = 2
			default:
				d[i] = 1
			}
		}
		return d
	}
	disA, disB := dis(a, count2, enda), dis(b, count1, endb)
	reduce := func(f *file, d []byte, e int) (idx, cls []int) {
		for i := start; i <= e; i++ {
			if d[i] == 1 || (d[i] == 2 && !cleanMmatch(d, i, start, e)) {
				idx = append(idx, i)
				cls = append(cls, f.class[i])
			} else {
				f.set(i, true)
			}
		}
		return idx, cls
	}
	idxA, clsA := reduce(a, disA, enda)
	idxB, clsB := reduce(b, disB, endb)

	ndiags := len(clsA) + len(clsB) + 3
	s := &search{
		a: clsA, b: clsB, idxA: idxA, idxB: idxB, fa: a, fb: b,
		kvdf: make([]int, 2*ndiags+2), kvdb: make([]int, 2*ndiags+2),
		off:    len(clsB) + 1,
		mxcost: max(bogosqrt(ndiags), maxCostMin),
	}
	s.compare(0, len(clsA), 0, len(clsB), false)
}

// cleanMmatch says whether the multi-match line i should be set aside: it
// sits in a run of lines that mostly have no match.
func cleanMmatch(dis []byte, i, s, e int) bool {
	if i-s > simScanWindow {
		s = i - simScanWindow
	}
	if e-i > simScanWindow {
		e = i + simScanWindow
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*kpdisRun < rpdis1+rdis1
}

// search is the divide-and-conquer Myers search over the lines left after
// setting some aside.
type search struct {
	a, b       []int // class ids of the lines searched
	idxA, idxB []int // their line numbers in the files
	fa, fb     *file
	kvdf, kvdb []int // furthest reaching paths, forward and backward, by diagonal + off
	off        int
	mxcost     int
}

const lineMax = int(^uint(0) >> 2)

func (s *search) compare(off1, lim1, off2, lim2 int, needMin bool) {
	a, b := s.a, s.b
	for off1 < lim1 && off2 < lim2 && a[off1] == b[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && a[lim1-1] == b[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			s.fb.set(s.idxB[off2], true)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			s.fa.set(s.idxA[off1], true)
		}
	default:
		i1, i2, minLo, minHi := s.split(off1, lim1, off2, lim2, needMin)
		s.compare(off1, i1, off2, i2, minLo)
		s.compare(i1, lim1, i2, lim2, minHi)
	}
}

// split finds where the shortest edit path crosses the middle, or a good
// enough point when the search runs long.
func (s *search) split(off1, lim1, off2, lim2 int, needMin bool) (int, int, bool, bool) {
	a, b := s.a, s.b
	kf := func(d int) *int { return &s.kvdf[d+s.off] }
	kb := func(d int) *int { return &s.kvdb[d+s.off] }
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax := fmid, fmid
	bmin, bmax := bmid, bmid
	*kf(fmid) = off1
	*kb(bmid) = lim1

	for ec := 1; ; ec++ {
		gotSnake := false
		if fmin > dmin {
			fmin--
			*kf(fmin - 1) = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			*kf(fmax + 1) = -1
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			var i1 int
			if *kf(d - 1) >= *kf(d + 1) {
				i1 = *kf(d - 1) + 1
			} else {
				i1 = *kf(d + 1)
			}
			prev1 := i1
			i2 := i1 - d
			for i1 < lim1 && i2 < lim2 && a[i1] == b[i2] {
				i1++
				i2++
			}
			if i1-prev1 > snakeCnt {
				gotSnake = true
			}
			*kf(d) = i1
			if odd && bmin <= d && d <= bmax && *kb(d) <= i1 {
				return i1, i2, true, true
			}
		}

		if bmin > dmin {
			bmin--
			*kb(bmin - 1) = lineMax
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			*kb(bmax + 1) = lineMax
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			var i1 int
			if *kb(d - 1) < *kb(d + 1) {
				i1 = *kb(d - 1)
			} else {
				i1 = *kb(d + 1) - 1
			}
			prev1 := i1
			i2 := i1 - d
			for i1 > off1 && i2 > off2 && a[i1-1] == b[i2-1] {
				i1--
				i2--
			}
			if prev1-i1 > snakeCnt {
				gotSnake = true
			}
			*kb(d) = i1
			if !odd && fmin <= d && d <= fmax && i1 <= *kf(d) {
				return i1, i2, true, true
			}
		}

		if needMin {
			continue
		}

		// Long searches: take a diagonal that reached far along a long
		// snake.
		if gotSnake && ec > heurMinCost {
			best, bi1, bi2 := 0, 0, 0
			for d := fmax; d >= fmin; d -= 2 {
				dd := d - fmid
				if dd < 0 {
					dd = -dd
				}
				i1 := *kf(d)
				i2 := i1 - d
				v := (i1 - off1) + (i2 - off2) - dd
				if v > kHeur*ec && v > best && off1+snakeCnt <= i1 && i1 < lim1 && off2+snakeCnt <= i2 && i2 < lim2 {
					for k := 1; a[i1-k] == b[i2-k]; k++ {
						if k == snakeCnt {
							best, bi1, bi2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return bi1, bi2, true, false
			}
			best = 0
			for d := bmax; d >= bmin; d -= 2 {
				dd := d - bmid
				if dd < 0 {
					dd = -dd
				}
				i1 := *kb(d)
				i2 := i1 - d
				v := (lim1 - i1) + (lim2 - i2) - dd
				if v > kHeur*ec && v > best && off1 < i1 && i1 <= lim1-snakeCnt && off2 < i2 && i2 <= lim2-snakeCnt {
					for k := 0; a[i1+k] == b[i2+k]; k++ {
						if k == snakeCnt-1 {
							best, bi1, bi2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return bi1, bi2, false, true
			}
		}

		// Enough: take the furthest reaching path either way.
		if ec >= s.mxcost {
			fbest, fbest1 := -1, -1
			for d := fmax; d >= fmin; d -= 2 {
				i1 := min(*kf(d), lim1)
				i2 := i1 - d
				if lim2 < i2 {
					i1, i2 = lim2+d, lim2
				}
				if fbest < i1+i2 {
					fbest, fbest1 = i1+i2, i1
				}
			}
			bbest, bbest1 := lineMax, lineMax
			for d := bmax; d >= bmin; d -= 2 {
				i1 := max(off1, *kb(d))
				i2 := i1 - d
				if i2 < off2 {
					i1, i2 = off2+d, off2
				}
				if i1+i2 < bbest {
					bbest, bbest1 = i1+i2, i1
				}
			}
			if (lim1+lim2)-bbest < fbest-(off1+off2) {
				return fbest1, fbest - fbest1, true, false
			}
			return bbest1, bbest - bbest1, false, true
		}
	}
}

// group is a run [start, end) of changed lines, possibly empty.
type group struct{ start, end int }

func groupInit(f *file) group {
	g := group{}
	for f.chg(g.end) {
		g.end++
	}
	return g
}

func groupNext(f *file, g *group) bool {
	if g.end == len(f.lines) {
		return false
	}
	g.start = g.end + 1
	for g.end = g.start; f.chg(g.end); g.end++ {
	}
	return true
}

func groupPrevious(f *file, g *group) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	for g.start = g.end; f.chg(g.start - 1); g.start-- {
	}
	return true
}

func groupSlideDown(f *file, g *group) bool {
	if g.end < len(f.lines) && f.lines[g.start] == f.lines[g.end] {
		f.set(g.start, false)
		g.start++
		f.set(g.end, true)
		g.end++
		for f.chg(g.end) {
			g.end++
		}
		return true
	}
	return false
}

func groupSlideUp(f *file, g *group) bool {
	if g.start > 0 && f.lines[g.start-1] == f.lines[g.end-1] {
		g.start--
		f.set(g.start, true)
		g.end--
		f.set(g.end, false)
		for f.chg(g.start - 1) {
			g.start--
		}
		return true
	}
	return false
}

// compact slides each run of changed lines of f as far down as it goes,
// then back up to line up with a change in the other file if one was
// passed on the way.
func compact(f, other *file) {
	g, o := groupInit(f), groupInit(other)
	for {
		if g.end != g.start {
			var earliestEnd, endMatchingOther, size int
			for {
				size = g.end - g.start
				endMatchingOther = -1
				for groupSlideUp(f, &g) {
					groupPrevious(other, &o)
				}
				earliestEnd = g.end
				if o.end > o.start {
					endMatchingOther = g.end
				}
				for groupSlideDown(f, &g) {
					groupNext(other, &o)
					if o.end > o.start {
						endMatchingOther = g.end
					}
				}
				if size == g.end-g.start {
					break
				}
			}
			if g.end != earliestEnd && endMatchingOther != -1 {
				for o.end == o.start {
					groupSlideUp(f, &g)
					groupPrevious(other, &o)
				}
			}
		}
		if !groupNext(f, &g) {
			break
		}
		groupNext(other, &o)
	}
}

// change is one hunk of a diff: lines [i1, i1+chg1) of the first file
// became lines [i2, i2+chg2) of the second.
type change struct{ i1, i2, chg1, chg2 int }

// script lists the hunks of a diff in order.
func script(a, b *file) []change {
	var out []change
	i1, i2 := len(a.lines), len(b.lines)
	for i1 >= 0 || i2 >= 0 {
		if a.chg(i1-1) || b.chg(i2-1) {
			l1, l2 := i1, i2
			for a.chg(i1 - 1) {
				i1--
			}
			for b.chg(i2 - 1) {
				i2--
			}
			out = append(out, change{i1: i1, i2: i2, chg1: l1 - i1, chg2: l2 - i2})
		}
		i1--
		i2--
	}
	for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
		out[l], out[r] = out[r], out[l]
	}
	return out
}
