// A scrolling box of fixed-height rows that renders only the rows in sight (and a few around), so
// a million lines cost as much as forty. Past what a browser lets an element be tall, the scroll
// position maps proportionally onto the rows.
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/** Browsers cap element heights (Firefox near 17.9M px, Chrome near 33.5M px): stay well under. */
const MAX_PX = 10_000_000;
const OVERSCAN = 4;

export function VirtualLines({ count, rowHeight, follow, onFollowChange, renderRow, label, version }: {
  count: number;
  rowHeight: number;
  /** Keep the last row in sight as rows come; scrolling up by hand turns it off, back to the end on. */
  follow: boolean;
  onFollowChange: (follow: boolean) => void;
  renderRow: (row: number) => ReactNode;
  label: string;
  /** Changes when the rows' content changed without their count changing. */
  version?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [viewH, setViewH] = useState(400);
  /** A scroll we made (following), not the reader's. */
  const ours = useRef<number | null>(null);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight || 400));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const total = count * rowHeight;
  const height = Math.min(total, MAX_PX);
  const maxTop = Math.max(0, height - viewH);
  const visible = viewH / rowHeight;
  const firstExact = height === total ? top / rowHeight : maxTop ? (top / maxTop) * Math.max(0, count - visible) : 0;
  const first = Math.max(0, Math.floor(firstExact) - OVERSCAN);
  const last = Math.min(count, Math.ceil(firstExact + visible) + OVERSCAN);
  const offset = top - (firstExact - first) * rowHeight;

  useLayoutEffect(() => {
    const el = box.current;
    if (!follow || !el) return;
    const end = el.scrollHeight - el.clientHeight;
    if (Math.abs(el.scrollTop - end) > 1) {
      ours.current = end;
      el.scrollTop = end;
    }
    setTop(el.scrollTop);
  }, [follow, count, viewH, version]);

  const rows: ReactNode[] = [];
  for (let r = first; r < last; r++) {
    rows.push(
      <div key={r} className="log-row" style={{ height: rowHeight }}>
        {renderRow(r)}
      </div>,
    );
  }
  return (
    <div
      ref={box}
      className="vlines"
      tabIndex={0}
      role="log"
      aria-live="off"
      aria-label={label}
      // As tall as its rows up to the stylesheet's max-height: a short log is not a big empty box.
      style={{ height: height + 2 }}
      onScroll={(e) => {
        const el = e.currentTarget;
        setTop(el.scrollTop);
        if (ours.current !== null && Math.abs(el.scrollTop - ours.current) <= 1) {
          ours.current = null;
          return;
        }
        ours.current = null;
        const atEnd = el.scrollTop >= el.scrollHeight - el.clientHeight - rowHeight;
        if (follow !== atEnd && count > 0) onFollowChange(atEnd);
      }}
    >
      <div className="vlines-space" style={{ height }}>
        <div className="vlines-window" style={{ transform: `translateY(${offset}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
