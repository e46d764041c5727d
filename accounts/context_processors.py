def roles(request):
    """What the navigation may offer the signed-in user (views still check on their own)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_send_commands": user.has_perm("chargers.send_command"),
        "can_edit_knowledge": user.has_perm("knowledgebase.change_codeentry"),
        "can_run_playbooks": user.has_perm("faults.add_playbookrun"),
    }
