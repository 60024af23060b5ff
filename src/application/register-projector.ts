import type { StoredStep } from '../../domain/agreement/index.js';
import type { RegisterDocument } from '../../projections/register/projection.js';
import type { Projector } from './projector.js';

/** The projector of the register: documents in memory, each agreement's steps as items on disk. */
export type RegisterProjector = Projector<RegisterDocument, StoredStep>;
