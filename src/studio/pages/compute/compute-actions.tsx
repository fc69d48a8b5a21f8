// Start, Stop, Restart and Delete (Detach for attached machines), each asked first. What a type
// cannot do is disabled with the server's reason beside it; the server's refusal shows in the dialog.
import { useState } from 'react';
import { api, WS } from '../../api.ts';
import { ConfirmButton } from '../../ui.tsx';
import { isAttachedType, type ComputeView } from '../../../protocol/compute.ts';

const CHANGING = ['Creating', 'Updating', 'Deleting'];
const POWER_CHANGING = ['Starting', 'Stopping', 'Restarting'];

/** Why an action cannot be done now: the type cannot at all (the server's words), or a change is under way. */
function whyNot(c: ComputeView, action: string): string | null {
  const never = c.unsupported?.[action];
  if (never) return never;
  if (c.provisioning_state === 'Deleting') return `it is being ${isAttachedType(c.type) ? 'detached' : 'deleted'}`;
  if (action !== 'delete' && action !== 'detach') {
    if (CHANGING.includes(c.provisioning_state)) return `it is ${c.provisioning_state}; wait until that is done`;
    if (c.state && POWER_CHANGING.includes(c.state)) return `it is ${c.state}; wait until that is done`;
  }
  return null;
}

/** A checkbox inside a confirmation: cancel the compute's unfinished jobs too (the CLI's --force). */
function ForceBox({ force, setForce, verb }: { force: boolean; setForce: (v: boolean) => void; verb: string }) {
  return (
    <label className="check force">
      <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
      Cancel its unfinished jobs and {verb} it anyway
    </label>
  );
}

export function ComputeActions({ compute, onDone, onRemoved }: { compute: ComputeView; onDone: () => void; onRemoved: () => void }) {
  // Each dialog its own choice: cancelling jobs for a stop must not carry over to a delete.
  const [forceStop, setForceStop] = useState(false);
  const [forceRemove, setForceRemove] = useState(false);
  const path = `${WS}/computes/${encodeURIComponent(compute.name)}`;
  const attached = isAttachedType(compute.type);
  const remove = attached ? 'detach' : 'delete';
  const power = (['start', 'stop', 'restart'] as const).map((action) => ({ action, why: whyNot(compute, action) }));
  const removeWhy = whyNot(compute, remove);
  const label = (a: string) => a[0]!.toUpperCase() + a.slice(1);
  const shown: [string, string][] = [];
  for (const [action, why] of [...power.map((p): [string, string | null] => [p.action, p.why]), [remove, removeWhy] as [string, string | null]]) if (why) shown.push([action, why]);
  return (
    <div className="compute-actions">
      <div className="actions">
        {power.map(({ action, why }) => (
          <span key={action} title={why ?? undefined}>
            <ConfirmButton
              label={label(action)}
              disabled={why !== null}
              question={
                <>
                  {label(action)} compute <strong>{compute.name}</strong>?
                  {action === 'stop' ? <ForceBox force={forceStop} setForce={setForceStop} verb="stop" /> : null}
                </>
              }
              onConfirm={async () => {
                await api('POST', `${path}/${action}${action === 'stop' && forceStop ? '?force=true' : ''}`);
                onDone();
              }}
            />
          </span>
        ))}
        <span title={removeWhy ?? undefined}>
          <ConfirmButton
            label={label(remove)}
            danger
            disabled={removeWhy !== null}
            question={
              <>
                {attached ? (
                  <>
                    Detach <strong>{compute.name}</strong>? Cairn stops its agent there, removes what it installed and forgets the compute; the machine itself stays.
                  </>
                ) : (
                  <>
                    Delete <strong>{compute.name}</strong>? Its nodes are given back and the compute is gone.
                  </>
                )}
                <ForceBox force={forceRemove} setForce={setForceRemove} verb={remove} />
              </>
            }
            onConfirm={async () => {
              await api('DELETE', `${path}?mode=${remove}&force=${forceRemove}`);
              onRemoved();
            }}
          />
        </span>
      </div>
      {shown.length ? (
        <ul className="why-not muted">
          {shown.map(([action, why]) => (
            <li key={action}>
              <strong>{label(action)}</strong> is not available: {why}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
