// Start-up failures that fit on one line, and the port check that names the variable to change.
import net from 'node:net';

/** A start-up failure that fits on one line: server.ts prints it as is. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Thrown when a fixed port is taken; names the port and the variable that sets it. */
export class PortInUseError extends StartupError {
  constructor(
    readonly port: number,
    readonly variable: string,
    hint = `free it or set ${variable} to another port`,
  ) {
    super(`port ${port} (${variable}) is already in use: ${hint}`);
  }
}

/** Resolves when `port` can be bound on `host`, rejects with PortInUseError when something holds it. */
export function assertPortFree(port: number, variable: string, host = '127.0.0.1', hint?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' ? reject(new PortInUseError(port, variable, hint)) : reject(err),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
