// uPlot ships its types at dist/uPlot.d.ts without naming them in package.json: the console uses
// this narrow declaration.
declare module 'uplot' {
  interface Options {
    width: number;
    height: number;
    scales?: Record<string, { time?: boolean; range?: [number, number] }>;
    series: { label?: string; stroke?: string; points?: { show?: boolean } }[];
  }
  export default class uPlot {
    constructor(options: Options, data: (number | null | undefined)[][], target: HTMLElement);
    destroy(): void;
  }
}
declare module 'uplot/dist/uPlot.min.css';
declare module '*.css';
