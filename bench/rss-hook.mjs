// Loaded with `node --import` by the benchmarks: reports the process's peak RSS on exit (stderr).
process.on('exit', () => {
  process.stderr.write(`\ngitops-flow-bench-maxrss=${process.resourceUsage().maxRSS}\n`);
});
