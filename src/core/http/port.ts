import net from "node:net";

/**
 * Fails with one sentence naming PORT when the port cannot be listened on, so the service says so
 * before it migrates or seeds anything (listening itself comes last, once the schema is built).
 */
export async function assertPortAvailable(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", (error: NodeJS.ErrnoException) => reject(new Error(portProblem(port, host, error))));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export function portProblem(port: number, host: string, error: NodeJS.ErrnoException): string {
  if (error.code === "EADDRINUSE") return `PORT ${port} is already in use on ${host}: stop the other process or set PORT to a free port.`;
  if (error.code === "EACCES") return `PORT ${port} needs privileges this process does not have on ${host}: set PORT above 1023.`;
  return `PORT ${port} on HOST ${host} cannot be listened on (${error.code ?? error.message}).`;
}
