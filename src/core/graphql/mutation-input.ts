/**
 * Base of mutation inputs. A service validates its input itself, the class-validator rules
 * together with the references the input names (unknown ids, cross-field rules), so that one
 * response lists every problem; the schema-wide argument validation therefore skips these.
 */
export abstract class MutationInput {}
