/**
 * The charts, with Apache ECharts: only the parts drawn here are bundled (bars, lines, a grid, tooltips, a legend,
 * the canvas renderer). Loaded on demand by the pages that draw them. Tooltips render in the canvas (richText), so
 * the pages' strict Content-Security-Policy (no inline styles) holds.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export const COLORS = { primary: '#b3261e', secondary: '#1f5fa8', grid: '#d9d9d9', text: '#333333' };

export interface BarSeries {
  name: string;
  values: number[];
  color: string;
  kind?: 'bar' | 'line';
}

/** Draws a bar (and line) chart into `el`; `el.dataset.drawn` is set once it is rendered, with the points drawn. */
export function drawBars(el: HTMLElement, categories: string[], series: BarSeries[], options: { horizontal?: boolean; valueName?: string } = {}): Promise<void> {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  const categoryAxis = { type: 'category' as const, data: categories, axisLabel: { color: COLORS.text, hideOverlap: true }, axisLine: { lineStyle: { color: COLORS.grid } } };
  const valueAxis = { type: 'value' as const, name: options.valueName, minInterval: 1, axisLabel: { color: COLORS.text }, splitLine: { lineStyle: { color: COLORS.grid } } };
  const drawn = new Promise<void>((resolve) => {
    chart.on('finished', () => {
      el.dataset.drawn = String(series.reduce((n, s) => n + s.values.length, 0));
      resolve();
    });
  });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: 'system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif' },
    grid: { left: 8, right: 16, top: series.length > 1 ? 36 : 24, bottom: 8, containLabel: true },
    legend: series.length > 1 ? { top: 0, textStyle: { color: COLORS.text } } : undefined,
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: options.horizontal ? valueAxis : categoryAxis,
    yAxis: options.horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
    series: series.map((s) => ({ name: s.name, type: s.kind ?? 'bar', data: s.values, itemStyle: { color: s.color }, lineStyle: { color: s.color }, barMaxWidth: 48 })),
  });
  new ResizeObserver(() => chart.resize()).observe(el);
  return drawn;
}
