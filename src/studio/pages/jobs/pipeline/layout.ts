// Where a pipeline's steps go in its graph, drawn top to bottom: a step's layer is one past the
// deepest of the steps it needs (layer 0 needs none); within a layer the steps keep the pipeline's
// order, and each layer is centred. An edge runs from a step's bottom to the top of a step that
// needs it. Plain arithmetic: a pipeline has at most 200 steps.
import type { PipelineStepView } from '../../../../protocol/pipeline-spec.ts';

export const NODE_W = 200;
export const NODE_H = 64;
const GAP_X = 28;
const GAP_Y = 52;
const PAD = 12;

export interface PlacedStep {
  step: PipelineStepView;
  layer: number;
  x: number;
  y: number;
}
export interface Edge {
  from: string;
  to: string;
  /** The SVG path: a curve from the middle of `from`'s bottom to the middle of `to`'s top. */
  d: string;
}
export interface GraphLayout {
  nodes: PlacedStep[];
  edges: Edge[];
  layers: number;
  width: number;
  height: number;
}

/** Each step's layer. A dependency the view does not name (or a cycle, which the server refuses) counts for nothing. */
export function stepLayers(steps: PipelineStepView[]): Map<string, number> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const layer = new Map<string, number>();
  const open = new Set<string>();
  const visit = (name: string): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    const s = byName.get(name);
    if (!s || open.has(name)) return -1;
    open.add(name);
    const l = 1 + Math.max(-1, ...s.depends_on.map(visit));
    open.delete(name);
    layer.set(name, l);
    return l;
  };
  for (const s of steps) visit(s.name);
  return layer;
}

export function layoutSteps(steps: PipelineStepView[]): GraphLayout {
  const layerOf = stepLayers(steps);
  const rows: PipelineStepView[][] = [];
  for (const s of steps) (rows[layerOf.get(s.name)!] ??= []).push(s);
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = 2 * PAD + widest * NODE_W + (widest - 1) * GAP_X;
  const height = 2 * PAD + rows.length * NODE_H + Math.max(0, rows.length - 1) * GAP_Y;
  const nodes: PlacedStep[] = [];
  const at = new Map<string, PlacedStep>();
  rows.forEach((row, layer) => {
    const left = (width - (row.length * NODE_W + (row.length - 1) * GAP_X)) / 2;
    row.forEach((step, i) => {
      const n = { step, layer, x: left + i * (NODE_W + GAP_X), y: PAD + layer * (NODE_H + GAP_Y) };
      nodes.push(n);
      at.set(step.name, n);
    });
  });
  const edges: Edge[] = [];
  for (const n of nodes) {
    for (const dep of n.step.depends_on) {
      const from = at.get(dep);
      if (!from) continue;
      const x1 = from.x + NODE_W / 2;
      const y1 = from.y + NODE_H;
      const x2 = n.x + NODE_W / 2;
      const y2 = n.y;
      const bend = (y2 - y1) / 2;
      edges.push({ from: dep, to: n.step.name, d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}` });
    }
  }
  return { nodes, edges, layers: rows.length, width, height };
}

/** A status as the graph colours it: not started, under way, completed, failed, or off (canceled, skipped). */
export function statusTone(status: string): 'wait' | 'run' | 'ok' | 'bad' | 'off' {
  if (status === 'Completed') return 'ok';
  if (status === 'Failed' || status === 'NotResponding') return 'bad';
  if (status === 'Canceled' || status === 'Skipped') return 'off';
  if (status === 'NotStarted') return 'wait';
  return 'run';
}

/** A name cut to fit a node, with an ellipsis; the node's tooltip has it whole. */
export const fit = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
