import { ChildProcess, spawn } from "node:child_process";

/** The built service (`dist/src/main.js`) in a child process on the embedded database in `dataDir`. */
export function startServiceProcess(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    env: { ...process.env, DATABASE_URL: "", DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const ready = new Promise<{ url: string; key: string }>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const url = /GraphQL: (\S+)/.exec(output)?.[1];
      const key = /Demo API key: (\S+)/.exec(output)?.[1];
      if (url && key) resolve({ url, key });
    });
    child.on("exit", (code, signal) => reject(new Error(`the service exited with ${code ?? signal}:\n${output}`)));
  });
  return { child, ready, output: () => output };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
