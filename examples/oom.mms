# The OOM killer. On a machine without swap, anonymous pages cannot be
# reclaimed: when an allocation finds nothing free and reclaim makes no
# progress, __alloc_pages_may_oom() calls out_of_memory(), which kills the
# process with the highest oom_badness(): resident pages + swap entries +
# page-table pages, + oom_score_adj thousandths of RAM. oom_score_adj
# -1000 (OOM_SCORE_ADJ_MIN) is never chosen. The kernel prints
# "COMM invoked oom-killer" and "Out of memory: Killed process ..."
# (dump_header(), __oom_kill_process()): here they are the warnings on
# stderr. Rules: linux-mm-facts.md section 11; spec.md 16.6.
machine x86 mem=16M

fn fill(base, n) {
  for i in 0..n { write base + i * PAGE_SIZE, 1 }
}

# keeper holds the most memory but is protected; hog holds less.
keeper = spawn("keeper")
k = mmap(0, 1600 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
fill(k, 1600)
oom_score_adj(keeper.pid, -1000)

hog = spawn("hog")
switch hog.pid
h = mmap(0, 1000 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
fill(h, 1000)

worker = spawn("worker")
switch worker.pid
print format("rss: keeper %d pages (oom_score_adj -1000), hog %d, worker %d; %d pages free", keeper.rss, hog.rss, worker.rss, nr_free_pages())

# worker allocates page after page. When memory runs out the OOM killer
# looks at the three: keeper may not be chosen, worker is smaller than
# hog: hog is killed, its memory is freed at once (as the OOM reaper
# would), and worker's allocation goes on.
w = mmap(0, 4096 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
i = 0
while hog.state == "R" {
  write w + i * PAGE_SIZE, 1
  i += 1
}
print format("worker wrote %d pages; hog is %s (killed by signal %d), keeper %s, worker %s", i, hog.state, hog.status, keeper.state, worker.state)
print format("%d pages free after the kill: hog's pages and page tables came back", nr_free_pages())
wait(hog.pid)

# Now worker is the biggest process that may be killed, and it is the one
# allocating: out_of_memory() chooses it, its allocation fails (the
# script's error kind oom, caught by expect oom), and it dies when the
# statement ends.
expect oom "Killed process 3 (worker)" {
  while true {
    write w + i * PAGE_SIZE, 1
    i += 1
  }
}
print format("worker is %s (signal %d) after %d pages; keeper is %s with rss %d", worker.state, worker.status, i, keeper.state, keeper.rss)
wait(worker.pid)
print format("%d pages free", nr_free_pages())
