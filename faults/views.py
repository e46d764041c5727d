from django.shortcuts import render


def board(request):
    """The operators' board: faulted ports across sites, grouped by who must act."""
    return render(request, "faults/board.html", {})
