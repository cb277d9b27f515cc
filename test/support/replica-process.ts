import { ChildProcess, spawn } from "node:child_process";

/**
 * The built service (dist/src/main.js) as a child process on the test run's database, as a
 * replica runs in production; `env` adds settings. Resolves once it prints its URL.
 */
export async function startReplicaProcess(env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    env: {
      ...process.env,
      DATABASE_URL: process.env.DEALGRAPH_TEST_DATABASE_URL!,
      DATABASE_POOL_MAX: "4",
      SEED_DEMO: "false",
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      WEBHOOK_ALLOW_PRIVATE: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const found = /GraphQL: (\S+)/.exec(output)?.[1];
      if (found) resolve(found);
    });
    child.on("exit", (code) => reject(new Error(`the service exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** Stops a child process (SIGTERM unless told otherwise) and waits for it to exit. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}
