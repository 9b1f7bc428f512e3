#!/usr/bin/env python3
"""The verdict of bench/soak.sh: growth of RSS and descriptors, errors, unexplained log lines.

Reads the samples CSV, the load runs (load.tsv), the fault events (events.tsv) and the daemon's
log; prints a Markdown summary, writes a gnuplot script for the chart, and exits 1 when a pass
criterion fails:

- RSS and descriptors flat after warm-up: each series is smoothed by a running median of 5
  samples (so that one sample taken during a burst of connections, or a kill, is not taken for
  growth); the largest smoothed value after 25% of the run must be less than --max-growth percent
  above the smoothed value at 25%. A least-squares line over the raw samples of the same span is
  printed too, as its change over that span, but does not decide;
- no load error outside the window of a kill of one of that service's own backends, from a
  second before the kill to --settle seconds after the backend answered again; no failed purge,
  every reload done;
- no WARN or ERROR log line except those inside such a window that name the killed backend's
  port, or a pool or service the killed backend belongs to.
"""
import argparse
import csv
import datetime
import re
import sys

LOG_LINE = re.compile(r'^(\d\d):(\d\d):(\d\d)\.(\d{3}) (WARN|ERROR)\s+(\S+) - (.*)$')
# What a killed backend belongs to: the proxy's pool and service, the lb service, and for the lb's
# l0 the dns resource checked on its port.
AFFECTED = {'b0': ['proxy'], 'b1': ['proxy'], 'l0': ['lb', 'lb_l0'], 'l1': ['lb']}


def read_events(path):
    kills, reloads, purges = [], [], []
    for line in open(path):
        t, what = line.rstrip('\n').split('\t', 1)
        t, words = float(t), what.split()
        if words[0] == 'kill':
            kills.append({'t': t, 'name': words[1], 'port': words[2], 'service': words[3], 'ready': None})
        elif words[0] == 'ready':
            for k in reversed(kills):
                if k['name'] == words[1] and k['ready'] is None:
                    k['ready'] = t
                    break
        elif words[0] == 'reload':
            reloads.append(t)
        elif words[0] == 'purge':
            purges.append((t, words[1]))
    return kills, reloads, purges


def windows(kills, settle, end):
    return [(k, k['t'] - 1, (k['ready'] if k['ready'] is not None else end) + settle) for k in kills]


def smoothed(samples, key, width=5):
    """The series of key with each value replaced by the median of the width samples around it."""
    pts = [(s['t'], s[key]) for s in samples if s[key] is not None]
    out = []
    for i, (t, _) in enumerate(pts):
        win = sorted(v for _, v in pts[max(0, i - width // 2):i + width // 2 + 1])
        out.append({'t': t, key: win[len(win) // 2]})
    return out


def growth(samples, key, start, duration):
    """(smoothed value at 25%, smoothed max after it, growth %, raw max after 25%,
    least-squares change % over the same span)."""
    t25 = start + duration / 4
    later = [s for s in samples if s['t'] >= t25 and s[key] is not None]
    smooth = [s for s in smoothed(samples, key) if s['t'] >= t25]
    if len(later) < 2:
        return None
    base = smooth[0][key]
    top = max(s[key] for s in smooth[1:])
    raw_top = max(s[key] for s in later[1:])
    n = len(later)
    xs = [s['t'] for s in later]
    ys = [s[key] for s in later]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    fit = 100.0 * slope * (xs[-1] - xs[0]) / my if my else 0.0
    return base, top, 100.0 * (top - base) / base if base else 0.0, raw_top, fit


def main():
    ap = argparse.ArgumentParser()
    for name in ('csv', 'load', 'events', 'log', 'gnuplot', 'png'):
        ap.add_argument('--' + name, required=True)
    ap.add_argument('--gc-log', default=None)
    ap.add_argument('--nmt-diff', default=None)
    ap.add_argument('--nmt-from', type=int, default=0)
    ap.add_argument('--start', type=float, required=True)
    ap.add_argument('--duration', type=float, required=True)
    ap.add_argument('--settle', type=float, default=15)
    ap.add_argument('--max-growth', type=float, default=5)
    ap.add_argument('--reloads', type=int, default=0)
    ap.add_argument('--alive', type=int, default=1)
    a = ap.parse_args()
    end = a.start + a.duration
    failures = []

    samples = []
    with open(a.csv) as f:
        for row in csv.DictReader(f):
            num = lambda k: float(row[k]) if row.get(k) not in ('', None) else None
            samples.append({'t': a.start + float(row['elapsed_s']), 'rss': num('rss_kb'),
                            'heap': num('heap_after_gc_bytes'), 'direct': num('direct_bytes'),
                            'fds': num('fds'), 'threads': num('threads'), 'nonheap': num('nonheap_bytes')})
    kills, reloads, purges = read_events(a.events)
    wins = windows(kills, a.settle, end)

    # Load errors.
    per_service = {}
    unexpected_runs = []
    for line in open(a.load):
        f = line.rstrip('\n').split('\t')
        t0, t1, svc = float(f[0]), float(f[1]), f[2]
        req, non2xx, conn, read, write, timeout = (int(x) for x in f[3:9])
        errs = non2xx + conn + read + write + timeout
        s = per_service.setdefault(svc, {'requests': 0, 'expected': 0, 'unexpected': 0, 'runs': 0})
        s['requests'] += req
        s['runs'] += 1
        if errs == 0:
            continue
        if any(k['service'] == svc and t0 <= hi and t1 >= lo for k, lo, hi in wins):
            s['expected'] += errs
        else:
            s['unexpected'] += errs
            unexpected_runs.append(f'{svc} {fmt_t(t0, a.start)}-{fmt_t(t1, a.start)}: non-2xx/rcode {non2xx}, '
                                   f'connect {conn}, read {read}, write {write}, timeout/lost {timeout}')
        if req == 0 and svc != 'dns':
            unexpected_runs.append(f'{svc} {fmt_t(t0, a.start)}: a run without a single answer')
    unexpected = sum(s['unexpected'] for s in per_service.values())
    if unexpected:
        failures.append(f'{unexpected} load errors outside the kill windows')
    bad_purges = [p for p in purges if p[1] != '200']
    if bad_purges:
        failures.append(f'{len(bad_purges)} of {len(purges)} purges failed')

    # The log: reloads done, WARN/ERROR lines explained or not.
    day = datetime.datetime.fromtimestamp(a.start).replace(hour=0, minute=0, second=0, microsecond=0)
    explained, unexplained, reloads_done, reload_errors = [], [], 0, []
    for line in open(a.log, errors='replace'):
        line = line.rstrip('\n')
        if ' Daemon - reload done' in line:
            reloads_done += 1
        m = LOG_LINE.match(line)
        if not m:
            continue
        h, mi, se, ms = (int(x) for x in m.groups()[:4])
        t = (day + datetime.timedelta(hours=h, minutes=mi, seconds=se, milliseconds=ms)).timestamp()
        if t < a.start - 12 * 3600:
            t += 86400          # the run went past midnight
        msg = m.group(7)
        cause = None
        for k, lo, hi in wins:
            names = AFFECTED.get(k['name'], [])
            if lo <= t <= hi and (re.search(rf'\b{k["port"]}\b', msg)
                                  or any(re.search(rf'\b{re.escape(n)}\b', msg) for n in names)):
                cause = k
                break
        (explained if cause else unexplained).append(line)
    if a.reloads and reloads_done < a.reloads:
        failures.append(f'{a.reloads} SIGHUP sent, {reloads_done} "reload done" logged')
    if unexplained:
        failures.append(f'{len(unexplained)} WARN/ERROR lines without a cause in the fault script')
    if not a.alive:
        failures.append('the daemon is not running at the end')

    # Growth.
    rows = []
    for key, label, unit, div in (('rss', 'RSS', 'MiB', 1024), ('fds', 'descriptors', '', 1),
                                  ('threads', 'threads', '', 1), ('heap', 'heap after GC', 'MiB', 1 << 20),
                                  ('nonheap', 'non-heap (code cache, metaspace)', 'MiB', 1 << 20),
                                  ('direct', 'direct memory', 'MiB', 1 << 20)):
        g = growth(samples, key, a.start, a.duration)
        if g is None:
            rows.append(f'| {label} | - | - | - | - | - | - | not enough samples |')
            if key in ('rss', 'fds'):
                failures.append(f'{label}: not enough samples after 25% of the run')
            continue
        base, top, pct, raw_top, fit = g
        first = next((s[key] for s in samples if s[key] is not None), None)
        judged = key in ('rss', 'fds')
        ok = pct < a.max_growth
        if judged and not ok:
            failures.append(f'{label} grew {pct:.1f}% after warm-up (limit {a.max_growth:g}%)')
        verdict = ('pass' if ok else 'FAIL') if judged else 'shown only'
        rows.append(f'| {label} | {show(first, div, unit)} | {show(base, div, unit)} | {show(top, div, unit)} | '
                    f'{pct:+.1f}% | {show(raw_top, div, unit)} | {fit:+.1f}% | {verdict} |')

    last = samples[-1] if samples else None
    print(f'## Soak: {fmt_dur(a.duration)}, {len(samples)} samples, {len(kills)} kills, '
          f'{a.reloads} reloads, {len(purges)} purges')
    print()
    print('| metric | first sample | at 25% (median of 5) | max after 25% (median of 5) | growth | '
          'raw max after 25% | line fit after 25% | |')
    print('|---|---:|---:|---:|---:|---:|---:|---|')
    for r in rows:
        print(r)
    print()
    print('| load | requests/queries | errors around kills | other errors |')
    print('|---|---:|---:|---:|')
    for svc in ('web', 'proxy', 'lb', 'dns'):
        s = per_service.get(svc)
        if s:
            print(f'| {svc} | {s["requests"]:,} | {s["expected"]} | {s["unexpected"]} |')
    print()
    for k in kills:
        down = f'{k["ready"] - k["t"]:.1f} s' if k['ready'] else 'never restarted'
        print(f'- {fmt_t(k["t"], a.start)} killed {k["service"]} backend {k["name"]} (:{k["port"]}), answering again after {down}')
    for t in reloads:
        print(f'- {fmt_t(t, a.start)} SIGHUP')
    print(f'- purges: {len(purges)}, failed: {len(bad_purges)}; reloads done: {reloads_done} of {a.reloads}')
    print(f'- WARN/ERROR log lines: {len(explained)} explained by a kill, {len(unexplained)} not')
    gc = gc_summary(a.gc_log)
    if gc:
        print(f'- garbage collections: {gc}')
    nmt = nmt_summary(a.nmt_diff)
    if nmt:
        print(f'- native memory committed, change from {fmt_t(a.start + a.nmt_from, a.start)} to the end '
              f'(NMT; RSS counts only the touched part): {nmt}')
    if last:
        print(f'- at the end: RSS {show(last["rss"], 1024, "MiB")}, {last["fds"]:.0f} descriptors, '
              f'{last["threads"]:.0f} threads')
    for r in unexpected_runs:
        print(f'- unexpected: {r}')
    if unexplained:
        print()
        print('WARN/ERROR lines without a cause in the fault script:')
        print()
        print('```')
        for line in unexplained[:50]:
            print(line)
        if len(unexplained) > 50:
            print(f'... and {len(unexplained) - 50} more')
        print('```')
    print()
    print('**PASS**' if not failures else '**FAIL**: ' + '; '.join(failures))

    write_gnuplot(a, kills, reloads)
    sys.exit(1 if failures else 0)


GC_PAUSE = re.compile(r'GC\(\d+\) (Pause \w+).*?(\d+)M->(\d+)M\((\d+)M\) ([\d.]+)ms')


def gc_summary(path):
    """'N young (longest X ms), M full (longest Y ms); heap after the last: A MiB of B MiB'."""
    if not path:
        return None
    try:
        lines = open(path, errors='replace').read().splitlines()
    except OSError:
        return None
    kinds, after = {}, None
    for line in lines:
        m = GC_PAUSE.search(line)
        if m:
            kind = 'full' if 'Full' in m.group(1) else 'young'
            n, longest = kinds.get(kind, (0, 0.0))
            kinds[kind] = (n + 1, max(longest, float(m.group(5))))
            after = (m.group(3), m.group(4))
    if not kinds:
        return None
    parts = [f'{n} {k} (longest {longest:.1f} ms)' for k, (n, longest) in sorted(kinds.items(), reverse=True)]
    return ', '.join(parts) + (f'; heap after the last: {after[0]} MiB of {after[1]} MiB' if after else '')


NMT_LINE = re.compile(r'^-\s+(.+?) \(reserved=\d+KB(?: [+-]\d+KB)?, committed=(\d+)KB(?: ([+-]\d+)KB)?\)')


def nmt_summary(path):
    """The total and the categories whose committed memory changed most, from summary.diff."""
    if not path:
        return None
    try:
        text = open(path, errors='replace').read()
    except OSError:
        return None
    total = re.search(r'Total: reserved=\d+KB(?: [+-]\d+KB)?, committed=(\d+)KB(?: ([+-]\d+)KB)?', text)
    cats = []
    for line in text.splitlines():
        m = NMT_LINE.match(line)
        if m and m.group(3):
            cats.append((int(m.group(3)), m.group(1).strip(), int(m.group(2))))
    if not total:
        return None
    cats.sort(key=lambda c: -abs(c[0]))
    parts = [f'{name} {delta / 1024:+.1f} MiB (now {now / 1024:.1f})' for delta, name, now in cats[:5]]
    return f'total {int(total.group(2) or 0) / 1024:+.1f} MiB (now {int(total.group(1)) / 1024:.1f}); ' + ', '.join(parts)


def write_gnuplot(a, kills, reloads):
    marks = []
    for k in kills:
        marks.append(f'set arrow from {(k["t"] - a.start) / 60:.3f}, graph 0 to {(k["t"] - a.start) / 60:.3f}, graph 1 '
                     'nohead lc rgb "#cc0000" dt 2')
    for t in reloads:
        marks.append(f'set arrow from {(t - a.start) / 60:.3f}, graph 0 to {(t - a.start) / 60:.3f}, graph 1 '
                     'nohead lc rgb "#0044cc" dt 3')
    quarter = a.duration / 4 / 60
    marks.append(f'set arrow from {quarter:.3f}, graph 0 to {quarter:.3f}, graph 1 nohead lc rgb "#888888" lw 2')
    with open(a.gnuplot, 'w') as g:
        g.write(f'''# Generated by bench/soak.sh from {a.csv}
set terminal pngcairo size 1200,900 font ",10"
set output "{a.png}"
set datafile separator ","
set key top left horizontal opaque
set offsets 0, 0, graph 0.2, 0
set grid
{chr(10).join(marks)}
set multiplot layout 3,1 title "Portico soak: {fmt_dur(a.duration)}"
set ylabel "MiB"
set yrange [0:*]
plot "{a.csv}" every ::1 using ($2/60):($3/1024) with lines lw 2 title "RSS", \\
     "" every ::1 using ($2/60):($4/1048576) with lines lw 2 title "heap after GC", \\
     "" every ::1 using ($2/60):($12/1048576) with lines lw 2 title "non-heap (code cache, metaspace)", \\
     "" every ::1 using ($2/60):($5/1048576) with lines lw 2 title "direct (JVM buffer pool)"
set ylabel "count"
plot "{a.csv}" every ::1 using ($2/60):6 with lines lw 2 title "open descriptors", \\
     "" every ::1 using ($2/60):7 with lines lw 2 title "threads"
set ylabel "count so far"
set xlabel "minutes (grey: 25%, end of warm-up; red dashes: a backend killed; blue dots: SIGHUP; errors counted as each 10 s load run ends)"
plot "{a.csv}" every ::1 using ($2/60):8 with steps lw 2 title "load errors (all, kills included)", \\
     "" every ::1 using ($2/60):9 with steps lw 2 title "WARN/ERROR log lines (all)"
unset multiplot
''')


def show(v, div, unit):
    if v is None:
        return '-'
    return f'{v / div:.1f} {unit}'.strip() if unit else f'{v:.0f}'


def fmt_t(t, start):
    s = int(round(t - start))
    return f'{s // 60}:{s % 60:02d}'


def fmt_dur(seconds):
    s = int(seconds)
    return f'{s // 3600}h{s % 3600 // 60:02d}m' if s >= 3600 else f'{s // 60}m{s % 60:02d}s'


if __name__ == '__main__':
    main()
