/**
 * Where the Node process's JSON log lines go: standard output, written once per turn of the
 * event loop rather than once per line. On Linux a write to a pipe (a container's log stream)
 * is synchronous, so one access-log line per request was one blocking system call per request:
 * measured on the side-by-side bench, logging at info level halved public GET throughput. Lines
 * keep their order, and whatever is buffered is written before the process exits, however it exits.
 */
export function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    // Node's own stream: synchronous for files and pipes on Linux, so it also serves the exit handler.
    process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
