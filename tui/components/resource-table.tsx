import { Box, Text } from "ink";
import { fitColumns, formatCells, formatHeader } from "../views/columns.ts";
import type { ViewData } from "../views/index.ts";
import { Panel } from "./panel.tsx";

export interface ResourceTableProps {
  data: ViewData;
  index: number;
  width: number;
  height: number;
  now: number;
  /** The data is old (the queen is not answering): drawn dim. */
  stale: boolean;
  note?: string;
}

/** One resource list: header, rows, the selected row highlighted, scrolled to stay visible. */
export function ResourceTable({ data, index, width, height, now, stale, note }: ResourceTableProps) {
  const { table, rows } = data;
  const inner = Math.max(1, width - 2);
  // One cell for the selection mark: the row is also drawn inverse, but not every terminal shows colour.
  const cells = Math.max(1, inner - 1);
  const visible = Math.max(1, height - 3);
  const start = Math.max(0, Math.min(index - visible + 1, rows.length - visible));
  const shown = rows.slice(Math.max(0, start), Math.max(0, start) + visible);
  const columns = fitColumns(table.columns, rows, cells, now);
  const range = rows.length > visible ? ` ${start + 1}-${start + shown.length}/${rows.length}` : ` (${rows.length})`;
  return (
    <Panel title={`${table.title}${range}${note ? ` · ${note}` : ""}`} width={width} height={height} color={stale ? "gray" : "cyan"}>
      <Text bold wrap="truncate">
        {` ${formatHeader(columns)}`}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {` ${table.empty}`}
        </Text>
      ) : (
        shown.map((row, i) => (
          <Box key={table.idOf(row)} width={inner}>
            <Text inverse={start + i === index} dimColor={stale} wrap="truncate">
              {`${start + i === index ? "▸" : " "}${formatCells(columns, row, now)}`}
            </Text>
          </Box>
        ))
      )}
    </Panel>
  );
}
