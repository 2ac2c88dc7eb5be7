/** The oldest Node.js this service runs on: 20.19 is the first 20.x that require()s ES modules (jose needs it). */
export const MINIMUM_NODE_VERSION = [20, 19] as const;

/** Null when `version` (as process.versions.node) is recent enough, else the message to stop with. */
export function nodeVersionProblem(version: string = process.versions.node): string | null {
  const [major, minor] = version.split('.').map(Number);
  const [needMajor, needMinor] = MINIMUM_NODE_VERSION;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return null;
  return `Node.js ${needMajor}.${needMinor} or later is needed; this is ${version}. Install a newer Node.js (e.g. from nodejs.org or NodeSource) and start again.`;
}
