/**
 * Public API: in-process implementations of the storage and transport SPIs, for tests and single-JVM demos.
 */
package org.raftlib.local;
