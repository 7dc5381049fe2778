// Test helper: proves a child process sent nothing off the machine. Run it under
// `strace -f -e trace=connect,sendto,sendmsg -o <file>` and pass the file's text here.
import { existsSync } from 'node:fs';

export const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

export function straceArgs(outFile: string): string[] {
  return ['-f', '-qq', '-e', 'trace=connect,sendto,sendmsg', '-o', outFile];
}

/** connect/sendto/sendmsg lines with an IPv4/IPv6 address that is not loopback (DNS included). */
export function offMachineCalls(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    if (!/\b(connect|sendto|sendmsg)\(/.test(line) || !/AF_INET6?/.test(line)) continue;
    const v4 = /inet_addr\("([^"]+)"\)/.exec(line)?.[1];
    const v6 = /inet_pton\(AF_INET6, "([^"]+)"/.exec(line)?.[1];
    const addr = v4 ?? v6;
    if (addr === undefined || !(addr.startsWith('127.') || addr === '::1' || addr === '::ffff:127.0.0.1')) out.push(line.trim());
  }
  return out;
}
