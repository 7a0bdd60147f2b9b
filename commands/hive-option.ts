import { Option } from "clipanion";

/** `--hive ID`: which hive a model or worker command is about (default: the local one). */
export const hiveOption = () => Option.String("--hive", "localhost", { description: "the hive (default: localhost, the queen's own)" });
