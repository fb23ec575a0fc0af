/** The ten-factor radar chart as inline SVG (pure; numbers fixed to two decimals so output is stable). */
import type { PublishedAgent } from '../../schemas/published.js';
import { h, join, type HtmlEscapedString } from './html.js';

const SIZE = 360;
const CENTER = SIZE / 2;
const RADIUS = 120;
const f = (value: number): string => value.toFixed(2);

function point(index: number, count: number, scale: number): [number, number] {
  const angle = -Math.PI / 2 + (2 * Math.PI * index) / count;
  return [CENTER + Math.cos(angle) * RADIUS * scale, CENTER + Math.sin(angle) * RADIUS * scale];
}

/** An accessible SVG radar of the factor values (0..1): an axis, a label and a point per factor, and their shape. */
export function radarSvg(factors: PublishedAgent['factors']): HtmlEscapedString {
  const count = factors.length;
  const rings = [0.25, 0.5, 0.75, 1].map((scale) => {
    const points = factors.map((_, index) => point(index, count, scale).map(f).join(',')).join(' ');
    return h`<polygon class="ring" points="${points}" />`;
  });
  const axes = factors.map((factor, index) => {
    const [x, y] = point(index, count, 1);
    const [lx, ly] = point(index, count, 1.18);
    const anchor = Math.abs(lx - CENTER) < 1 ? 'middle' : lx < CENTER ? 'end' : 'start';
    return h`<line class="axis" x1="${f(CENTER)}" y1="${f(CENTER)}" x2="${f(x)}" y2="${f(y)}" /><text x="${f(lx)}" y="${f(ly)}" text-anchor="${anchor}" data-factor="${factor.key}">${factor.name}</text>`;
  });
  const shape = factors.map((factor, index) => point(index, count, factor.value).map(f).join(',')).join(' ');
  // One marked point per factor on its axis, at value × radius, so a zero still shows where it sits.
  const points = factors.map((factor, index) => {
    const [x, y] = point(index, count, factor.value);
    return h`<circle class="point" cx="${f(x)}" cy="${f(y)}" r="3" data-factor="${factor.key}" data-value="${factor.value.toFixed(2)}" />`;
  });
  const label = factors.map((factor) => `${factor.name} ${factor.value.toFixed(2)}`).join(', ');
  return h`<svg class="radar" xmlns="http://www.w3.org/2000/svg" viewBox="-90 -10 ${SIZE + 180} ${SIZE + 20}" role="img" aria-label="Factor radar: ${label}"><title>Factor radar</title>${join(rings)}${join(axes)}<polygon class="shape" points="${shape}" />${join(points)}</svg>`;
}
