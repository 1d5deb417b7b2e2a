/** With thousands separators and a fixed number of decimals. */
export const formatNumber = (value: number, decimals = 0): string =>
  value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })

/** Columns padded to their widest cell; columns of plain numbers right-aligned. */
export const renderTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  )
  const numeric = header.map((_, column) => rows.every((row) => /^[\d.,]*$/.test(row[column] ?? "")))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, column) =>
        numeric[column] === true ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join("  ")
      .trimEnd()
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`).join("\n")
}
