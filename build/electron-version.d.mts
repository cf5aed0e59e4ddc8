export function lockedElectron(projectDir?: string): string;
export function newestOfMajor(versions: string[], major: number): string | null;
export function compareElectron(locked: string, newest: string | null): { ok: boolean; message: string };
export function registryVersions(major: number, timeoutMs?: number): Promise<string[] | null>;
