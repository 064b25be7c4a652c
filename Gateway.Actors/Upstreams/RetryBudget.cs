namespace Gateway.Upstreams;

/// <summary>
/// How many retries an upstream may still make, lock-free: every request adds <c>share</c> of a retry, every retry
/// takes one, and the balance never exceeds <see cref="Reserve"/>. So over any stretch of time retries are at most
/// <c>share</c> × requests + <see cref="Reserve"/>: an outage cannot turn into twice the load.
/// </summary>
internal sealed class RetryBudget
{
    /// <summary>Retries a quiet upstream may make at once (and the most the balance saves up).</summary>
    public const int Reserve = 10;

    private const long Unit = 1000;
    private readonly long _deposit;
    private readonly long _cap = Reserve * Unit;
    private long _balance;

    public RetryBudget(double share)
    {
        _deposit = (long)Math.Round(share * Unit);
        _balance = _cap;
    }

    /// <summary>Retries that could be made now.</summary>
    public double Available => Interlocked.Read(ref _balance) / (double)Unit;

    /// <summary>One request was sent: a share of a retry more (one read and no write while the balance is full).</summary>
    public void Deposit()
    {
        var balance = Interlocked.Read(ref _balance);
        while (balance < _cap && _deposit > 0)
        {
            var seen = Interlocked.CompareExchange(ref _balance, Math.Min(_cap, balance + _deposit), balance);
            if (seen == balance) return;
            balance = seen;
        }
    }

    /// <summary>Takes one retry; false when the budget is spent.</summary>
    public bool TryWithdraw()
    {
        var balance = Interlocked.Read(ref _balance);
        while (balance >= Unit)
        {
            var seen = Interlocked.CompareExchange(ref _balance, balance - Unit, balance);
            if (seen == balance) return true;
            balance = seen;
        }
        return false;
    }
}
