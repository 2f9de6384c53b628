// scp's protocol pieces (legacy rcp protocol, operands, name patterns) for cmd/scp.ts.
export { ByteInput, LegacyScp, ScpExit, ScpFatal, type ByteOutput, type LegacyOptions, type LegacyProgress } from "./legacy.ts";
export { a2port, colon, okName, parseOperand, parseScpUri, parseUserHostPath, type ScpOperand } from "./paths.ts";
export { BracePatternError, braceExpand, MAX_BRACE_EXPANSIONS } from "./glob.ts";
export { fnmatch } from "../sftp/glob.ts";
export { formatDirRecord, formatFileRecord, formatTimesRecord, parseSinkRecord, visLog, visTerminal, MAX_RECORD_BYTES, type SinkRecord } from "./records.ts";
