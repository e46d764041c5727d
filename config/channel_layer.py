"""The Redis channel layer, with a message loss on cancelled receives closed.

channels_redis delivers the messages of every consumer in a process through one blocking pop on the
process's queue, run by whichever consumer holds the receive lock. When that consumer goes away (a
charger disconnects: Channels cancels its receive), the pop is cancelled mid-flight. If Redis had
already handed over a message at that instant, for *another* consumer of the process (a browser's
live event, a remote command for another charger), the reply is dropped with the connection and the
message is gone: it reached the backup queue only after the pop returned (channels_redis #366,
channels #1683). On a server where chargers come and go all day this happens; a test that closes a
charger and waits for its "offline" event on a browser hit it in CI.

Here the pop runs in a task of its own that a cancellation does not reach. What it receives after
its receiver gave up goes back to the front of the queue, where the next receiver (the lock passes
on at once) takes it.
"""

import asyncio

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

# Messages a cancelled pop left in the backup queue go back to the queue, oldest first.
_RESTORE_BACKUP = """
local held = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #held, 2 do
    redis.call('ZADD', KEYS[1], held[i + 1], held[i])
end
redis.call('DEL', KEYS[2])
"""

# One message, if it is still in the backup queue, back to the queue with its score.
_GIVE_BACK = """
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if score then
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[1], score, ARGV[1])
end
"""


class _Receiver:
    gone = False


class RedisChannelLayer(_RedisChannelLayer):
    async def _brpop_with_clean(self, index, channel, timeout):
        receiver = _Receiver()
        popping = asyncio.ensure_future(self._pop_for(receiver, index, channel, timeout))
        try:
            return await asyncio.shield(popping)
        except asyncio.CancelledError:
            receiver.gone = True
            raise

    async def _pop_for(self, receiver: _Receiver, index, channel, timeout):
        backup = self._backup_channel_name(channel)
        connection = self.connection(index)
        await connection.eval(_RESTORE_BACKUP, 2, channel, backup)
        popped = await connection.bzpopmin(channel, timeout=timeout)
        if popped is None:
            return None
        _, member, score = popped
        if receiver.gone:
            await connection.zadd(channel, {member: score})
            return None
        # Kept in the backup queue until the message has been handed to its consumer (the receive
        # that follows removes it; one that never comes leaves it for the next pop to restore).
        await connection.zadd(backup, {member: score})
        if receiver.gone:
            await connection.eval(_GIVE_BACK, 2, channel, backup, member)
            return None
        return member
