// Runs the `aligner` CLI in-process, capturing stdout and stderr (shared by the CLI, import and serve tests).
import { main } from "../loaders/cli/main.js";

export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(
    argv,
    { write: (s: string) => ((stdout += s), true) } as never,
    { write: (s: string) => ((stderr += s), true) } as never,
  );
  return { code, stdout, stderr };
}
