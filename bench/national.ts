export async function national(): Promise<void> {
  throw new Error('not yet');
}
