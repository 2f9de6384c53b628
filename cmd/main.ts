// Entry point of the sshbox binary (`bun build --compile cmd/main.ts`): builds the invocation and exits with the
// program's status. User arguments start at process.argv[2] both compiled and under `bun cmd/main.ts`.
import { dispatch } from "./dispatch.ts";
import { processIo } from "./io.ts";

const compiled = Bun.main.startsWith("/$bunfs/");
const status = await dispatch({
  argv0: process.argv0,
  args: process.argv.slice(2),
  binary: compiled ? process.execPath : undefined,
  io: processIo,
});
process.exit(status);
