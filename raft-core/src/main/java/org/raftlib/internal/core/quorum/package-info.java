/**
 * Internal: not API, may change without notice. Quorum math as pure values: simple and joint majorities.
 */
package org.raftlib.internal.core.quorum;
