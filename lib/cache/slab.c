/* A shard's entry memory: chunks of a few fixed size classes carved from 64 KiB blocks. A freed
 * chunk goes back to its class's free list for the next entry of that class, so entries that come
 * and go in random order never fragment the heap, and memory stays flat once the cache is full.
 * Chunks are carved in order as needed: the rest of a block is address space no page of which has
 * been touched, so what is carved is what the cache makes resident. */
#include "internal.h"

#include <stdlib.h>

/* Under AddressSanitizer a chunk on a free list is poisoned past its links, so that a use after
 * the cache gave an entry back is caught as it would be after free(). */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define LINKS offsetof(struct entry, expires_ms)
#define POISON(e) ASAN_POISON_MEMORY_REGION((char *)(e) + LINKS, class_size[(e)->cls] - LINKS)
#define UNPOISON(e, k) ASAN_UNPOISON_MEMORY_REGION((char *)(e) + LINKS, class_size[k] - LINKS)
#else
#define POISON(e) ((void)(e))
#define UNPOISON(e, k) ((void)(e), (void)(k))
#endif

/* One-name entries fall in the first classes; the last holds the largest entry (ENTRY_MAX). */
static const size_t class_size[SLAB_CLASSES] = { 96, 112, 128, 144, 160, 192, 256, 384, 640,
                                                 1152, CHUNK_MAX };

_Static_assert(ENTRY_MAX <= CHUNK_MAX, "the largest entry fits the largest class");
_Static_assert(sizeof(struct entry) <= 96, "an entry without text fits the smallest class");

static int class_of(size_t size)
{
	for (int i = 0; i < SLAB_CLASSES; i++)
		if (size <= class_size[i])
			return i;
	return -1;
}

/* A new block for class k; its first word links it into the list of blocks. */
static int grow(struct slab *s, int k)
{
	char *b = malloc(SLAB_BLOCK);
	if (!b)
		return -1;
	*(void **)b = s->blocks;
	s->blocks = b;
	s->bump[k] = b + 64;  /* past the link; chunks stay 16-aligned */
	s->left[k] = (SLAB_BLOCK - (size_t)(s->bump[k] - b)) / class_size[k];
	return 0;
}

struct entry *slab_get(struct slab *s, size_t size)
{
	int k = class_of(size);
	if (k < 0)
		return NULL;
	struct entry *e = s->free[k];
	if (e) {
		s->free[k] = e->next;
		UNPOISON(e, k);
	} else {
		if (s->left[k] == 0 && grow(s, k) != 0)
			return NULL;
		e = (struct entry *)(void *)s->bump[k];
		s->bump[k] += class_size[k];
		s->left[k]--;
		s->bytes += class_size[k];
	}
	e->cls = (uint8_t)k;
	return e;
}

void slab_put(struct slab *s, struct entry *e)
{
	e->next = s->free[e->cls];
	s->free[e->cls] = e;
	POISON(e);
}

size_t slab_class_size(unsigned k)
{
	return k < SLAB_CLASSES ? class_size[k] : 0;
}

void slab_free_all(struct slab *s)
{
	while (s->blocks) {
		void *next = *(void **)s->blocks;
		free(s->blocks);
		s->blocks = next;
	}
	*s = (struct slab){ 0 };
}
