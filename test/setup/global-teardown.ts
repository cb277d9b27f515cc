export default async function globalTeardown(): Promise<void> {
  await globalThis.__DEALGRAPH_TEARDOWN__?.();
}
