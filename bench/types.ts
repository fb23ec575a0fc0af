/** One measured figure printed by `npm run bench`. */
export type BenchResult = { name: string; value: number; unit: string; target?: string; ok?: boolean };
