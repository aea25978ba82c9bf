// Observable Framework configuration. Offline by design: no Google Fonts, no DuckDB extensions from
// extensions.duckdb.org (site tables are Arrow IPC streams), npm: modules seeded from node_modules by
// `loaders/tools/site.ts` before every build or preview.
export default {
  title: "Aligner Workbench",
  root: "src",
  output: process.env.ALIGNER_SITE_OUT ?? "dist",
  globalStylesheets: [],
  head: '<link rel="icon" href="data:,">',
  theme: ["air", "near-midnight"],
  pager: false,
  pages: [
    { name: "Overview", path: "/" },
    { name: "Residuals", path: "/residuals" },
    { name: "Playground", path: "/playground" },
    { name: "Imported datasets", path: "/imports" },
    { name: "Imported residuals", path: "/imported-residuals" },
    { name: "Training", path: "/training" },
    { name: "Weak-to-strong", path: "/weak-to-strong" },
    { name: "API judge", path: "/judge" },
    { name: "Runs", path: "/runs" },
    { name: "Data", path: "/data" },
  ],
  footer: "Aligner Workbench — a reproduction of Ji et al., “Aligner: Efficient Alignment by Learning to Correct” (arXiv 2402.02416).",
  duckdb: { extensions: { json: null, parquet: null } },
  interpreters: { ".ts": ["node", "--import", "tsx"] },
};
