/** What a `run-name` expression may refer to in the simulator. */
export interface RunNameContext {
  readonly inputs: Readonly<Record<string, string>>
  readonly actor: string
  readonly refName: string
  readonly workflow: string
  readonly event: string
}

const expression = /\$\{\{\s*([^}]*?)\s*\}\}/g
const inputReference = /^(?:github\.event\.)?inputs\.([A-Za-z_][A-Za-z0-9_-]*)$/

/**
 * Renders a workflow's `run-name` as GitHub does for the simple cases workflows use: `inputs.X`
 * (or `github.event.inputs.X`), `github.actor`, `github.ref_name`, `github.workflow`,
 * `github.event_name`. A missing input, or any other expression, renders empty.
 */
export const renderRunName = (template: string, context: RunNameContext): string =>
  template.replace(expression, (_, body: string) => {
    const input = inputReference.exec(body)
    if (input !== null) return context.inputs[input[1]!] ?? ""
    switch (body) {
      case "github.actor":
        return context.actor
      case "github.ref_name":
        return context.refName
      case "github.workflow":
        return context.workflow
      case "github.event_name":
        return context.event
      default:
        return ""
    }
  })
