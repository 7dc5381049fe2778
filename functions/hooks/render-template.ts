// Fills the template fields of a rule's image name and properties from the delivery. The
// fields are a fixed list (shared/config/webhook-schema.ts, checked at start); a value is
// the sender's text, used only as a Glance name or property value, cut to what Glance takes.
import type { TemplateField } from '../../shared/config/webhook-schema';
import type { HookEvent } from './hook-event';

const MAX = 255;

export function templateValues(hook: string, ev: HookEvent): Record<TemplateField, string> {
  return {
    hook,
    event: ev.event,
    project: ev.project,
    ref: ev.ref ?? '',
    sha: ev.sha ?? '',
    short_sha: (ev.sha ?? '').slice(0, 8),
    pipeline_id: ev.pipelineId ?? '',
    status: ev.status,
    name: ev.name ?? '',
  };
}

export function renderTemplate(text: string, values: Record<TemplateField, string>): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, field: string) => (field in values ? values[field as TemplateField] : whole)).slice(0, MAX);
}
